import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Language, Parser } from 'web-tree-sitter';
import { bicepWasmPath, getParser, listBicepFiles, normaliseBicepparam, parseFile, parseSource, syntaxProblems } from '../policy/parse.js';

const here = dirname(fileURLToPath(import.meta.url));
const bicepDir = join(here, '..', 'bicep');
const fixturesDir = join(here, 'fixtures', 'broken');
const files = listBicepFiles(bicepDir);

describe('tree-sitter-bicep grammar (WASM) with web-tree-sitter', () => {
  it('loads the grammar shipped by tree-sitter-bicep and its ABI is supported', async () => {
    await Parser.init();
    const language = await Language.load(bicepWasmPath());
    // web-tree-sitter 0.25+ accepts ABI 13-15; tree-sitter-bicep 1.1.0 ships ABI 14.
    expect(language.abiVersion).toBeGreaterThanOrEqual(13);
    expect(language.abiVersion).toBeLessThanOrEqual(15);
    // ABI 14 grammars carry no name metadata; prove it is the Bicep grammar by parsing.
    const parser = new Parser();
    parser.setLanguage(language);
    expect(parser.parse("targetScope = 'subscription'\n")?.rootNode.type).toBe('infrastructure');
  });

  it('reports syntax errors with file and line (the check can fail)', async () => {
    const broken = await parseSource('broken.bicep', "param ok string\nresource r 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n  properties: {\n    allowBlobPublicAccess: \n  }\n}\n");
    const problems = syntaxProblems(broken);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.file).toBe('broken.bicep');
    expect(problems[0]?.line).toBeGreaterThanOrEqual(4);
  });

  it('reads the .bicepparam assignment form without hiding real errors', async () => {
    expect(normaliseBicepparam("param a = 1\n  param b= {\n}\nparam c string\n")).toBe("param a __bicepparam = 1\n  param b __bicepparam= {\n}\nparam c string\n");
    const ok = await parseSource('x.bicepparam', "using './main.bicep'\nparam a = {\n  b: [\n    'c'\n  ]\n}\n");
    expect(syntaxProblems(ok)).toEqual([]);
    const bad = await parseSource('x.bicepparam', "using './main.bicep'\nparam a = {\n  b: [\n    'c'\n  \n}\n");
    expect(syntaxProblems(bad).length).toBeGreaterThan(0);
  });

  it('finds the templates, modules and one parameter file per geography', () => {
    const rel = files.map((f) => relative(bicepDir, f).split('\\').join('/'));
    expect(rel).toEqual(expect.arrayContaining(['main.bicep', 'stamp.bicep', 'types.bicep', 'main.bicepparam']));
    for (const geo of ['australia', 'newzealand', 'uk', 'us']) expect(rel).toContain(`params/${geo}.bicepparam`);
    for (const mod of ['storage', 'keyvault', 'cosmos', 'function', 'eventgrid', 'containerapps', 'monitoring', 'governance']) {
      expect(rel.some((f) => f.startsWith(`modules/${mod}/`))).toBe(true);
    }
  });
});

describe('every .bicep / .bicepparam under infra/bicep parses without ERROR or MISSING nodes', () => {
  it.each(files.map((f) => [relative(bicepDir, f).split('\\').join('/'), f]))('%s', async (_rel, path) => {
    await getParser();
    const problems = syntaxProblems(await parseFile(path, bicepDir));
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.kind} ${p.message}`)).toEqual([]);
  });
});

describe('the broken fixtures are valid syntax (they fail policy, not parsing)', () => {
  it.each(listBicepFiles(fixturesDir).map((f) => [relative(fixturesDir, f).split('\\').join('/'), f]))('%s', async (_rel, path) => {
    const problems = syntaxProblems(await parseFile(path, fixturesDir));
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.kind} ${p.message}`)).toEqual([]);
  });
});
