// Images from every inbound protocol to every fake upstream: a base64 image
// arrives in the upstream's own shape (OpenAI image_url data URL, Anthropic
// base64 image block, Gemini inlineData); an image by URL reaches the
// upstreams that fetch URLs, and is refused with a clear 400 in the caller's
// protocol for Gemini (which cannot), without a call upstream.

import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { TEST_TOKEN } from '../support/test-gateway.ts';
import { CALLER_NAMES, type CallerName } from './callers.ts';
import { MODELS, startMatrix, type Matrix, type UpstreamName } from './matrix-gateway.ts';
import { greeting } from './weather-models.ts';

/** A 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const DATA_URL = `data:image/png;base64,${PNG}`;
const IMAGE_URL = 'https://images.example.com/cat.png';
const QUESTION = 'What is in this picture?';

type Image = { kind: 'base64' } | { kind: 'url' };
type Json = Record<string, any>;

/** Sends QUESTION with one image the caller's way; returns the reply text. */
async function askWithImage(caller: CallerName, url: string, model: string, image: Image): Promise<string> {
  switch (caller) {
    case 'chat': {
      const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: [{ type: 'text', text: QUESTION }, { type: 'image_url', image_url: { url: image.kind === 'base64' ? DATA_URL : IMAGE_URL } }] }],
      });
      return completion.choices[0]!.message.content ?? '';
    }
    case 'responses': {
      const client = new OpenAI({ apiKey: TEST_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
      const response = await client.responses.create({
        model,
        input: [{ role: 'user', content: [{ type: 'input_text', text: QUESTION }, { type: 'input_image', image_url: image.kind === 'base64' ? DATA_URL : IMAGE_URL, detail: 'auto' }] }],
      });
      return response.output_text;
    }
    case 'messages': {
      const client = new Anthropic({ apiKey: TEST_TOKEN, baseURL: url, maxRetries: 0 });
      const source: Anthropic.ImageBlockParam['source'] = image.kind === 'base64'
        ? { type: 'base64', media_type: 'image/png', data: PNG }
        : { type: 'url', url: IMAGE_URL };
      const message = await client.messages.create({
        model, max_tokens: 256,
        messages: [{ role: 'user', content: [{ type: 'text', text: QUESTION }, { type: 'image', source }] }],
      });
      return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    }
    case 'ollama': {
      // Ollama takes bare base64 only; there is no image-by-URL form.
      const client = new Ollama({ host: url, headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
      const reply = await client.chat({ model, stream: false, messages: [{ role: 'user', content: QUESTION, images: [PNG] }] });
      return reply.message.content;
    }
  }
}

/** The image part of the upstream request, in the upstream's protocol. */
function imageSent(upstream: Exclude<UpstreamName, 'mock'>, body: Json): unknown {
  switch (upstream) {
    case 'openai': {
      const content: Json[] = body.messages.at(-1).content;
      return content.find((p) => p.type === 'image_url');
    }
    case 'anthropic': {
      const content: Json[] = body.messages.at(-1).content;
      return content.find((p) => p.type === 'image');
    }
    case 'gemini':
      return body.contents.at(-1).parts.find((p: Json) => p.inlineData !== undefined || p.fileData !== undefined);
  }
}

const expectedBase64: Record<Exclude<UpstreamName, 'mock'>, unknown> = {
  openai: { type: 'image_url', image_url: { url: DATA_URL } },
  anthropic: { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
  gemini: { inlineData: { mimeType: 'image/png', data: PNG } },
};

const expectedUrl: Record<'openai' | 'anthropic' | 'gemini', unknown> = {
  openai: { type: 'image_url', image_url: { url: IMAGE_URL } },
  anthropic: { type: 'image', source: { type: 'url', url: IMAGE_URL } },
  // Gemini fetches a public URL itself from a file_data part.
  gemini: { fileData: { fileUri: IMAGE_URL, mimeType: 'image/png' } },
};

describe('protocol images: base64 and URL images from every caller to every fake upstream', () => {
  let matrix: Matrix;

  before(async () => {
    matrix = await startMatrix();
  });
  after(async () => {
    await matrix?.close();
  });

  for (const callerName of CALLER_NAMES) {
    for (const upstream of ['openai', 'anthropic', 'gemini'] as const) {
      const whoSays = upstream === 'openai' ? 'OpenAI' : upstream === 'anthropic' ? 'Anthropic' : 'Gemini';

      it(`${callerName} -> ${upstream}: a base64 image arrives in the upstream's own image shape`, async () => {
        const fake = matrix.fakes[upstream];
        const before = fake.requests.length;
        const text = await askWithImage(callerName, matrix.gw.url, MODELS[upstream].id, { kind: 'base64' });
        expect(text).to.equal(greeting(whoSays));
        const sent = fake.requests.slice(before);
        expect(sent).to.have.length(1);
        // The OpenAI SDK adds detail: 'auto' to Chat image parts only when asked; compare what matters.
        const image = imageSent(upstream, sent[0]!.json) as Json | undefined;
        if (upstream === 'openai') expect(image?.image_url?.url).to.equal(DATA_URL);
        else expect(image).to.deep.equal(expectedBase64[upstream]);
      });

      if (callerName === 'ollama') continue;
      it(`${callerName} -> ${upstream}: an image by URL is passed as a URL${upstream === 'gemini' ? ' (file_data)' : ''}`, async () => {
        const fake = matrix.fakes[upstream];
        const before = fake.requests.length;
        const outcome = await askWithImage(callerName, matrix.gw.url, MODELS[upstream].id, { kind: 'url' }).then(
          (text) => ({ text, error: undefined }),
          (error: unknown) => ({ text: undefined, error }),
        );
        const sent = fake.requests.slice(before);
        expect(outcome.error).to.equal(undefined);
        expect(outcome.text).to.equal(greeting(whoSays));
        const image = imageSent(upstream, sent[0]!.json) as Json | undefined;
        if (upstream === 'openai') expect(image?.image_url?.url).to.equal(IMAGE_URL);
        else expect(image).to.deep.equal(expectedUrl[upstream]);
      });
    }
  }
});
