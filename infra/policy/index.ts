/**
 * Entry point of the infrastructure checks: parse every Bicep file under a directory, report syntax
 * problems, and evaluate the policy rules.
 */
import { buildModel } from './model.js';
import { listBicepFiles, parseFile, syntaxProblems, type SyntaxProblem } from './parse.js';
import { rules, type PolicyRule, type Violation, type Workspace } from './rules.js';

export { rules, ruleById, type PolicyRule, type Violation, type Workspace } from './rules.js';
export { syntaxProblems, parseFile, listBicepFiles, bicepWasmPath } from './parse.js';

export interface CheckResult {
  files: string[];
  syntax: SyntaxProblem[];
  violations: Violation[];
}

export async function loadWorkspace(dir: string): Promise<{ workspace: Workspace; syntax: SyntaxProblem[]; files: string[] }> {
  const paths = listBicepFiles(dir);
  const parsed = await Promise.all(paths.map((p) => parseFile(p, dir)));
  return {
    workspace: { models: parsed.map(buildModel) },
    syntax: parsed.flatMap(syntaxProblems),
    files: parsed.map((f) => f.relPath),
  };
}

export function evaluate(workspace: Workspace, selected: PolicyRule[] = rules): Violation[] {
  return selected.flatMap((rule) => rule.check(workspace));
}

export async function checkDirectory(dir: string): Promise<CheckResult> {
  const { workspace, syntax, files } = await loadWorkspace(dir);
  return { files, syntax, violations: evaluate(workspace) };
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line} [${v.rule}] ${v.message}`;
}
