// Small developer aid: `npx tsx infra/policy/cli-parse.ts <files…>` prints syntax problems (or the tree with TREE=1).
import { parseFile, syntaxProblems } from './parse.js';

for (const path of process.argv.slice(2)) {
  const file = await parseFile(path, process.cwd());
  const problems = syntaxProblems(file);
  console.log(problems.length ? problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.kind} ${p.message}`).join('\n') : `${file.relPath}: OK`);
  if (process.env.TREE) console.log(file.root.toString());
}
