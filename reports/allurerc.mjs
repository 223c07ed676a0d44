// Allure 3 configuration for the conformance report: read it like the spec, chapter then section.
import { defineConfig } from "allure";

export default defineConfig({
  name: "Lektri.co 1P7K conformance",
  // Trends: each `allure generate` reads this file and appends the run to it (Allure 3 keeps history in
  // a JSONL file, not in the results), so every run starts from clean results and still has a history.
  historyPath: "./out/allure-history.jsonl",
  historyLimit: 50,
  plugins: {
    awesome: {
      options: {
        reportName: "Lektri.co 1P7K conformance",
        groupBy: ["feature", "story"],
      },
    },
  },
});
