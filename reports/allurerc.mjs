// Allure 3 configuration for the conformance report: read it like the spec, chapter then section.
import { defineConfig } from "allure";

export default defineConfig({
  name: "Lektri.co 1P7K conformance",
  plugins: {
    awesome: {
      options: {
        reportName: "Lektri.co 1P7K conformance",
        groupBy: ["feature", "story"],
      },
    },
  },
});
