// Allure 3 configuration for the conformance report: read it like the spec, chapter then section.
import { defineConfig } from "allure";

// The verdict class of each test (fixtures/verdicts.py), put on its result as the label `verdict_class`
// by reports/test_result.py: whose fault a red result is.  Allure 3 takes the first category that matches.
const verdict = (value) => ({ labels: { verdict_class: `^${value}$` } });

export default defineConfig({
  name: "Lektri.co 1P7K conformance",
  // Trends: each `allure generate` reads this file and appends the run to it (Allure 3 keeps history in
  // a JSONL file, not in the results), so every run starts from clean results and still has a history.
  // reports/build.py passes LEKTRICO_ALLURE_HISTORY (its --history), so a test's report keeps its own.
  historyPath: process.env.LEKTRICO_ALLURE_HISTORY ?? "./out/allure-history.jsonl",
  historyLimit: 50,
  categories: {
    rules: [
      { id: "bench_fault", name: "Bench fault", matchers: [verdict("bench")], expand: true },
      { id: "product_defect", name: "Product defect", matchers: [verdict("product")], expand: true },
      { id: "inconclusive", name: "Inconclusive", matchers: [verdict("inconclusive")] },
      { id: "harness_error", name: "Harness error", matchers: [verdict("harness")] },
      { id: "spec_ambiguity", name: "Spec ambiguity", matchers: [{ labels: { ambiguity: ".+" } }],
        groupBy: [{ label: "ambiguity" }] },
    ],
  },
  plugins: {
    awesome: {
      options: {
        reportName: "Lektri.co 1P7K conformance",
        // One file with its data inline: opens from file:// (a multi-file report shows only a spinner there).
        singleFile: true,
        groupBy: ["feature", "story"],
      },
    },
  },
});
