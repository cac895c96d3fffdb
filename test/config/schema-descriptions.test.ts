// Editor hover is only as good as the schema's descriptions: every property
// of every schema in schemas/ must have one (examples are optional).

import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** JSON pointers of properties without a description, anywhere in the schema. */
function undescribed(node: unknown, pointer: string, out: string[]): string[] {
  if (Array.isArray(node)) node.forEach((item, i) => undescribed(item, `${pointer}/${i}`, out));
  else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (typeof record.properties === 'object' && record.properties !== null) {
      for (const [name, property] of Object.entries(record.properties as Record<string, Record<string, unknown>>)) {
        if (typeof property.description !== 'string' || property.description.trim() === '') out.push(`${pointer}/properties/${name}`);
      }
    }
    for (const [key, value] of Object.entries(record)) undescribed(value, `${pointer}/${key}`, out);
  }
  return out;
}

describe('schemas/*.json', () => {
  it('every property has a description', async () => {
    const files = (await readdir('schemas')).filter((f) => f.endsWith('.json'));
    expect(files).to.include.members(['gateway.schema.json', 'routing-test.schema.json']);
    for (const file of files) {
      const schema = JSON.parse(await readFile(join('schemas', file), 'utf8')) as unknown;
      expect(undescribed(schema, '', []), file).to.deep.equal([]);
    }
  });

  it('the check finds a property without one', () => {
    expect(undescribed({ properties: { a: { type: 'string' }, b: { description: 'fine' } } }, '', [])).to.deep.equal(['/properties/a']);
  });
});
