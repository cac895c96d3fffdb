// The usage-shipping examples in deploy/usage-shipping/ parse, wire their
// stages together, and read the files the gateway writes (usage-*.jsonl in the
// folder the chart and the image mount at /app/usage) but not the spend
// checkpoint beside them. Neither Vector nor Fluent Bit is installable here,
// so the configs are checked for shape; `vector validate` is the full check.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..', '..');
const dir = join(root, 'deploy', 'usage-shipping');

/** A shell-style glob as a regular expression over one path. */
function globRegex(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
}

const written = ['/app/usage/usage-2026-11-22.jsonl', '/app/usage/usage-2027-01-01.jsonl'];
const notUsage = ['/app/usage/spend-checkpoint.json', '/app/usage/spend-checkpoint.json.tmp'];

describe('usage shipping examples', () => {
  it('vector.yaml parses, every input names a source or transform, and it reads the usage files only', () => {
    const config = parse(readFileSync(join(dir, 'vector.yaml'), 'utf8')) as {
      sources: Record<string, { type: string; include: string[] }>;
      transforms: Record<string, { type: string; inputs: string[]; source?: string }>;
      sinks: Record<string, { type: string; inputs: string[] }>;
    };
    const producers = new Set([...Object.keys(config.sources), ...Object.keys(config.transforms)]);
    for (const stage of [...Object.values(config.transforms), ...Object.values(config.sinks)]) {
      expect(stage.inputs.length).to.be.greaterThan(0);
      for (const input of stage.inputs) expect(producers.has(input), `input ${input}`).to.equal(true);
    }
    expect(Object.values(config.sinks).map((s) => s.type).sort()).to.deep.equal(['aws_s3', 'clickhouse']);
    const file = Object.values(config.sources).find((s) => s.type === 'file')!;
    const patterns = file.include.map(globRegex);
    for (const path of written) expect(patterns.some((p) => p.test(path)), path).to.equal(true);
    for (const path of notUsage) expect(patterns.some((p) => p.test(path)), path).to.equal(false);
    const remap = Object.values(config.transforms).find((t) => t.type === 'remap')!;
    expect(remap.source).to.include('parse_json');
  });

  it('fluent-bit.yaml parses, tails the usage files only and sends them somewhere', () => {
    const config = parse(readFileSync(join(dir, 'fluent-bit.yaml'), 'utf8')) as {
      pipeline: { inputs: Array<{ name: string; path: string; tag: string }>; outputs: Array<{ name: string; match: string }> };
    };
    const tail = config.pipeline.inputs.find((i) => i.name === 'tail')!;
    for (const path of written) expect(globRegex(tail.path).test(path), path).to.equal(true);
    for (const path of notUsage) expect(globRegex(tail.path).test(path), path).to.equal(false);
    expect(config.pipeline.outputs.some((o) => o.match === tail.tag)).to.equal(true);
  });

  it('the chart mounts the usage folder where the shippers look', () => {
    const deployment = readFileSync(join(root, 'deploy', 'helm', 'switchyard', 'templates', 'deployment.yaml'), 'utf8');
    expect(deployment).to.match(/- name: usage\s+mountPath: \/app\/usage/);
  });
});
