// The pass-through body edit: only `model` changes (and stream_options is
// added when asked), byte for byte, whatever the client's key order,
// whitespace, escapes or nesting.

import { expect } from 'chai';
import { rewriteBody, rewriteBodyBytes } from '../../../src/formats/shared/raw-json.ts';

function both(text: string, model: string, addStreamUsage: boolean): { fromText: string; fromBytes: string } {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  return { fromText: rewriteBody(text, model, addStreamUsage, parsed), fromBytes: rewriteBodyBytes(Buffer.from(text), model, addStreamUsage, parsed).toString() };
}

const cases: [string, string, boolean, string][] = [
  ['model first', '{"model":"pool","messages":[{"role":"user","content":"hi"}]}', false, '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'],
  ['model last (the Python SDK order), with spaces', '{ "messages": [ {"role": "user", "content": "h\\u00e9 \\"model\\""} ],\n  "model" :  "pool" }', false,
    '{ "messages": [ {"role": "user", "content": "h\\u00e9 \\"model\\""} ],\n  "model" :  "gpt-4o" }'],
  ['a nested "model" key too', '{"tools":[{"type":"function","function":{"name":"f","parameters":{"properties":{"model":{"type":"string"}}}}}],"model":"pool"}', false,
    '{"tools":[{"type":"function","function":{"name":"f","parameters":{"properties":{"model":{"type":"string"}}}}}],"model":"gpt-4o"}'],
  ['a message whose content is the word model', '{"messages":[{"role":"user","content":"model"}],"model":"pool"}', false, '{"messages":[{"role":"user","content":"model"}],"model":"gpt-4o"}'],
  ['numbers and unknown fields kept as spelled', '{"model":"pool","temperature":1.0,"x":{"n":2.50e1}}', false, '{"model":"gpt-4o","temperature":1.0,"x":{"n":2.50e1}}'],
  ['a stream asks for usage', '{"model":"pool","stream":true}', true, '{"stream_options":{"include_usage":true},"model":"gpt-4o","stream":true}'],
  ['a model with characters to escape', '{"model":"p\\"o\\\\ol","stream":false}', false, '{"model":"gpt-4o","stream":false}'],
];

describe('pass-through body rewrite', () => {
  for (const [name, input, usage, expected] of cases) {
    it(`${name}: text and byte paths give the same exact bytes`, () => {
      const { fromText, fromBytes } = both(input, 'gpt-4o', usage);
      expect(fromBytes).to.equal(expected);
      expect(fromText).to.equal(expected);
    });
  }

  it('amends stream_options the client set without include_usage', () => {
    const input = '{"model":"pool","stream":true,"stream_options":{"include_usage":false}}';
    const out = JSON.parse(both(input, 'gpt-4o', true).fromBytes);
    expect(out).to.deep.equal({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true } });
  });

  it('keeps a 200 KB body intact apart from the model', () => {
    const content = 'x'.repeat(100_000) + ' é ' + '"quoted" \\ '.repeat(1000);
    const input = JSON.stringify({ messages: [{ role: 'user', content }], model: 'pool' });
    const out = rewriteBodyBytes(Buffer.from(input), 'gpt-4o', false, JSON.parse(input));
    expect(out.toString()).to.equal(input.replace('"model":"pool"', '"model":"gpt-4o"'));
  });

  it('rewrites every top-level occurrence of a repeated model key, and leaves a nested "model" alone', () => {
    // JSON.parse (routing) keeps the last; an upstream parser may keep the first: neither may see the group name.
    const input = '{"model":"pool","messages":[{"role":"user","content":"hi"}],"tools":[{"model":"keep-me"}],"model":"pool"}';
    const out = rewriteBodyBytes(Buffer.from(input), 'gpt-4o', false, JSON.parse(input)).toString();
    expect(out).to.equal('{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"tools":[{"model":"keep-me"}],"model":"gpt-4o"}');
  });
});
