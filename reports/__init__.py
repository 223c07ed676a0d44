"""Report tooling: Allure labels and attachments, ambiguity records, plots, the HTML build."""
