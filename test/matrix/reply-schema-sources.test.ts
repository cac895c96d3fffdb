// The Anthropic reply schemas (test/fixtures/schemas/anthropic/messages.yaml)
// are written from the SDK's types; this keeps them in step with the
// @anthropic-ai/sdk release the repository installs, so an upgrade that adds a
// required field fails here instead of passing the reply-schema test on a
// stale schema. (OpenAI's document is not installed; compare it by hand with
// scripts/compare-reply-schemas.ts --openapi, see test/fixtures/schemas/README.md.)

import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { anthropicDrift } from '../../scripts/compare-reply-schemas.ts';

const sdk = (file: string) => fileURLToPath(new URL(`../../node_modules/@anthropic-ai/sdk/resources/${file}`, import.meta.url));

describe('reply schema sources', () => {
  it('the Anthropic schemas agree with the installed SDK\'s types (required, nullable, enum values)', () => {
    const report = anthropicDrift([sdk('messages/messages.d.ts'), sdk('shared.d.ts')]);
    expect(report.drifts, 'run node scripts/compare-reply-schemas.ts --anthropic ... and update the schema').to.deep.equal([]);
  });
});
