// Chat Completions pass-through read from a scan of the body must be the same
// as read from the parsed body: the same routing facts, and the same bytes
// upstream, for the bodies where the scan decides (and it declines the rest).

import { expect } from 'chai';
import { openAIChatPassThrough, openAIChatRequestFacts, openAIChatScannedFacts } from '../../../src/formats/openai-chat/pass-through.ts';
import { scanJsonObject } from '../../../src/formats/shared/json-scan.ts';

const bodies: [string, string][] = [
  ['plain', '{"model":"bench","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":64}'],
  ['stream without stream_options', '{"model":"bench","stream":true,"messages":[{"role":"user","content":"Hi"}]}'],
  ['stream with include_usage', '{"stream":true,"stream_options":{"include_usage":true},"model":"bench","messages":[]}'],
  ['stream with other stream_options', '{"stream":true,"stream_options":{"x":1},"model":"bench","messages":[]}'],
  ['stream: "true" is not a stream', '{"model":"bench","stream":"true"}'],
  ['user and a nested model key', '{"messages":[{"role":"user","content":"x","model":"evil"}],"user":"u-\\"1\\"","model":"b\\u00e9nch"}'],
  ['duplicate model: the last counts', '{"model":"first","messages":[],"model":"second"}'],
  ['model not a string', '{"model":42,"messages":[]}'],
  ['no model', '{"messages":[{"role":"user","content":"Hi"}]}'],
  ['whitespace around everything', ' {\n  "model" : "bench" ,\n  "stream" : true\n}\n'],
  ['messages not a list', '{"model":"bench","messages":"hello"}'],
];

describe('openai-chat pass-through from a scan', () => {
  for (const [what, text] of bodies) {
    it(`reads the same facts and sends the same bytes: ${what}`, () => {
      const raw = Buffer.from(text);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const scan = scanJsonObject(raw)!;
      const fromScan = openAIChatScannedFacts(raw, scan);
      const fromParse = openAIChatRequestFacts(parsed);
      expect({ ...fromScan, opening: fromScan.opening }).to.deep.equal(fromParse);
      if (typeof fromParse.model !== 'string') return; // routing refuses it before any rewrite
      const expected = openAIChatPassThrough.rewriteRequest(raw, parsed, 'gpt-4o-mini', fromParse);
      const spliced = openAIChatPassThrough.rewriteScanned!(raw, scan, 'gpt-4o-mini', fromScan);
      // Both paths rewrite every top-level occurrence of a repeated model key, byte for byte alike.
      if (spliced) expect(spliced.toString()).to.equal(expected.toString());
      const sent = JSON.parse((spliced ?? expected).toString()) as Record<string, unknown>;
      if (spliced) expect(sent.model).to.equal('gpt-4o-mini');
    });
  }

  it('declines the cases it cannot splice alone', () => {
    const decline = (text: string) => {
      const raw = Buffer.from(text);
      const scan = scanJsonObject(raw)!;
      return openAIChatPassThrough.rewriteScanned!(raw, scan, 'm', openAIChatScannedFacts(raw, scan));
    };
    expect(decline('{"model":1}')).to.equal(undefined);
    expect(decline('{"model":"a","model":1}')).to.equal(undefined);
    expect(decline('{"model":"a","stream":true,"stream_options":{"x":1}}')).to.equal(undefined);
    expect(decline('{"model":"a","stream":true}')).to.not.equal(undefined);
  });

  it('rewrites every top-level model of a body that repeats it, so no upstream sees the caller’s group name', () => {
    const raw = Buffer.from('{"model":"first","messages":[{"model":"nested"}],"model":"second","stream":true}');
    const scan = scanJsonObject(raw)!;
    const sent = openAIChatPassThrough.rewriteScanned!(raw, scan, 'up', openAIChatScannedFacts(raw, scan))!.toString();
    expect(sent).to.equal('{"stream_options":{"include_usage":true},"model":"up","messages":[{"model":"nested"}],"model":"up","stream":true}');
  });
});
