// src/pipeline/ should name no wire-format field: it asks the codecs for the
// few request facts routing needs and for a pass-through scanner (issue #17,
// style.md "The pipeline should not know a wire format"). The walker (and the
// field list) is scripts/pipeline-wire-fields.ts; run it to see each hit by
// file and line.

import { expect } from 'chai';
import { join } from 'node:path';
import { countByField, folderHits, wireFieldHits } from '../../scripts/pipeline-wire-fields.ts';

const pipeline = join(import.meta.dirname, '..', '..', 'src', 'pipeline');

describe('src/pipeline/ and wire-format fields', () => {
  const counts = countByField(folderHits(pipeline));

  it('names no wire field at all', () => {
    expect(counts, 'ask the codec instead; see node scripts/pipeline-wire-fields.ts').to.deep.equal({});
  });

  it('the walker sees property names, JSON-quoted names and body reads, not comments, locals or import paths', () => {
    const source = [
      "import type { UsageLine } from '../telemetry/usage-record.ts';",
      '// stream_options in a comment does not count',
      'const messages = 1;',
      'const wants = body.stream_options?.include_usage;',
      "const bare = isUsage(data) && /\"choices\"\\s*:/.test(data) && data.includes('\"usage\"');",
      'const who = body.user;',
      "const ir = { usage: ex.usage, model: 'x' };",
    ].join('\n');
    expect(wireFieldHits('x.ts', source).map((h) => `${h.line} ${h.field}`)).to.deep.equal([
      '4 stream_options', '4 include_usage', '5 choices', '5 usage', '6 body.user',
    ]);
  });
});
