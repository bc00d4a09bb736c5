// The driver of Prisma's WebAssembly schema engine against the installed package: a Prisma upgrade
// that renames or drops what the driver uses must fail here, saying what is missing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkSchemaEngine } from '../../src/db/schema-engine';

const ROOT = path.resolve(__dirname, '../..');

describe('the schema engine driver', () => {
  it('finds every export and import it relies on in the installed @prisma/schema-engine-wasm', () => {
    // Throws SchemaEngineMismatchError listing each missing piece when the package changed shape.
    const info = checkSchemaEngine();
    expect(info.engineVersion).toMatch(/^[0-9a-f]{40}$/);
  });

  it('runs the engine that matches the pinned Prisma packages', () => {
    const { packageVersion, engineVersion } = checkSchemaEngine();
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(packageVersion).toBe(pkg.dependencies['@prisma/schema-engine-wasm']);
    // The package version ends with the engine commit it was built from.
    expect(packageVersion.endsWith(engineVersion)).toBe(true);
    expect(packageVersion.startsWith(`${pkg.dependencies['@prisma/client']}-`)).toBe(true);
  });
});
