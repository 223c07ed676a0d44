#!/bin/sh
# Create the place for one bench on the lab's coordinator, once (the coordinator keeps it in places.yaml).
#   LG_COORDINATOR=lab-coordinator:20408 benches/labgrid-example/setup-place.sh [PLACE] [EXPORTER] [GROUP]
# The place matches every resource of the exporter's group (benches/labgrid-example/exporter.yaml);
# runs then acquire it by name ([labgrid] place in the bench profile) and release it when they end.
set -eu
place=${1:-lektrico-bench-1}
exporter=${2:-bench-host-1}
group=${3:-lektrico-bench-1}
labgrid-client -p "$place" create
labgrid-client -p "$place" add-match "$exporter/$group/*"
labgrid-client -p "$place" set-comment "Lektri.co 1P7K HIL bench: charger, CP board, AC load, calibrator, analyzer"
labgrid-client -p "$place" set-tags charger=1p7k board=ev-sim-remote
labgrid-client -p "$place" show
