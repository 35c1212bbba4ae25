import { checkDirectory, formatViolation } from './index.js';
const r = await checkDirectory(process.argv[2] ?? 'infra/bicep');
console.log(r.files.length, 'files', r.syntax.length, 'syntax');
for (const v of r.violations) console.log(formatViolation(v));
