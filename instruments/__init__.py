"""Instrument drivers: the charger RPC client, the EV simulator, the power analyzer."""
