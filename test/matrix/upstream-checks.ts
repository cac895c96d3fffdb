// What each fake upstream must have received, in its own protocol, for one
// matrix cell: the upstream model name, the credential, the stream switch,
// the tool definitions on the first turn, and on the second turn the call
// replayed as the model made it followed by its result, tied to it the way
// that protocol ties them (Chat: tool_call_id; Anthropic: tool_use_id in a
// tool_result block; Gemini: a functionResponse named after the call).

import { expect } from 'chai';
import type { RecordedRequest } from '../support/fake-upstream.ts';
import { MODELS, type UpstreamName } from './matrix-gateway.ts';
import { ANTHROPIC_ID, FAKE_ARGS, MAX_TOKENS, OPENAI_ID, resultFor, SYSTEM_PROMPT, TEMPERATURE, weatherTool } from './weather-models.ts';

type Json = Record<string, any>;

const textOf = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((p) => (p && typeof p === 'object' && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
};

function lastUserText(upstream: UpstreamName, body: Json): string {
  if (upstream === 'gemini') return textOf(body.contents.at(-1).parts);
  return textOf(body.messages.at(-1).content);
}

/** One request of a cell: where it went, with what key, model and stream switch. */
export function checkRequestLine(upstream: Exclude<UpstreamName, 'mock'>, req: RecordedRequest, stream: boolean, keys: Record<string, string>): void {
  const upstreamModel = MODELS[upstream].upstream;
  switch (upstream) {
    case 'openai':
      expect(req.url).to.equal('/v1/chat/completions');
      expect(req.headers.authorization).to.equal(`Bearer ${keys.openai}`);
      expect(req.json.model).to.equal(upstreamModel);
      if (stream) {
        expect(req.json.stream).to.equal(true);
        expect(req.json.stream_options).to.deep.include({ include_usage: true });
      } else {
        expect(req.json.stream ?? false).to.equal(false);
      }
      break;
    case 'anthropic':
      expect(req.url).to.equal('/v1/messages');
      expect(req.headers['x-api-key']).to.equal(keys.anthropic);
      expect(req.headers['anthropic-version']).to.be.a('string');
      expect(req.headers.authorization).to.equal(undefined);
      expect(req.json.model).to.equal(upstreamModel);
      expect(req.json.max_tokens).to.be.a('number');
      expect(req.json.stream ?? false).to.equal(stream);
      break;
    case 'gemini':
      expect(req.url).to.equal(`/v1beta/models/${upstreamModel}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`);
      expect(req.headers['x-goog-api-key']).to.equal(keys.gemini);
      expect(req.headers.authorization).to.equal(undefined);
      expect(req.json).to.not.have.property('model');
      break;
  }
}

/** A plain question: the prompt as the last user turn, the system prompt, token limit and temperature where the protocol keeps them. */
export function checkPlainRequest(upstream: Exclude<UpstreamName, 'mock'>, req: RecordedRequest, prompt: string): void {
  const body: Json = req.json;
  expect(lastUserText(upstream, body)).to.equal(prompt);
  expect(body).to.not.have.property('tools');
  switch (upstream) {
    case 'openai':
      expect(body.messages).to.have.length(2);
      expect(body.messages[0].role).to.be.oneOf(['system', 'developer']);
      expect(textOf(body.messages[0].content)).to.equal(SYSTEM_PROMPT);
      expect(body.messages[1].role).to.equal('user');
      expect(body.max_completion_tokens ?? body.max_tokens).to.equal(MAX_TOKENS);
      expect(body.temperature).to.equal(TEMPERATURE);
      break;
    case 'anthropic':
      expect(body.messages).to.have.length(1);
      expect(body.messages[0].role).to.equal('user');
      expect(textOf(body.system)).to.equal(SYSTEM_PROMPT);
      expect(body.max_tokens).to.equal(MAX_TOKENS);
      expect(body.temperature).to.equal(TEMPERATURE);
      break;
    case 'gemini':
      expect(body.contents).to.have.length(1);
      expect(body.contents[0].role).to.equal('user');
      expect(textOf(body.systemInstruction?.parts)).to.equal(SYSTEM_PROMPT);
      expect(body.generationConfig).to.deep.include({ maxOutputTokens: MAX_TOKENS, temperature: TEMPERATURE });
      break;
  }
}

/** The first turn offered the tool in the upstream's own shape. */
export function checkToolsOffered(upstream: Exclude<UpstreamName, 'mock'>, req: RecordedRequest): void {
  switch (upstream) {
    case 'openai': {
      const tool = req.json.tools[0];
      expect(tool.type).to.equal('function');
      expect(tool.function.name).to.equal(weatherTool.name);
      expect(tool.function.parameters.properties).to.have.keys('city', 'unit');
      break;
    }
    case 'anthropic': {
      const tool = req.json.tools[0];
      expect(tool.name).to.equal(weatherTool.name);
      expect(tool.description).to.equal(weatherTool.description);
      expect(tool.input_schema.type).to.equal('object');
      expect(tool.input_schema.properties).to.have.keys('city', 'unit');
      expect(tool).to.not.have.property('parameters');
      break;
    }
    case 'gemini': {
      const declaration = req.json.tools[0].functionDeclarations[0];
      expect(declaration.name).to.equal(weatherTool.name);
      const schema = declaration.parametersJsonSchema ?? declaration.parameters;
      expect(schema.properties).to.have.keys('city', 'unit');
      break;
    }
  }
}

/** The second turn replays the calls (in order, with `expectedArgs`) and carries each result, tied to its call. */
export function checkToolResultSent(upstream: Exclude<UpstreamName, 'mock'>, req: RecordedRequest, callerKeepsIds: boolean, expectedArgs: unknown[] = [FAKE_ARGS]): void {
  const body: Json = req.json;
  switch (upstream) {
    case 'openai': {
      const index = body.messages.findIndex((m: Json) => m.role === 'assistant' && Array.isArray(m.tool_calls));
      expect(index, 'an assistant message with tool_calls').to.be.at.least(0);
      const calls: Json[] = body.messages[index].tool_calls;
      expect(calls.map((c) => c.function.name)).to.deep.equal(expectedArgs.map(() => weatherTool.name));
      expect(calls.map((c) => JSON.parse(c.function.arguments))).to.deep.equal(expectedArgs);
      if (callerKeepsIds) expect(calls[0]!.id).to.equal(OPENAI_ID);
      const answers: Json[] = body.messages.slice(index + 1);
      expect(answers.map((m) => m.role)).to.deep.equal(calls.map(() => 'tool'));
      expect(new Set(calls.map((c) => c.id)).size, 'distinct call ids').to.equal(calls.length);
      for (const call of calls) {
        const answer = answers.find((m) => m.tool_call_id === call.id);
        expect(answer, `a tool message for ${call.id}`).to.not.equal(undefined);
        expect(textOf(answer!.content)).to.equal(resultFor(JSON.parse(call.function.arguments)));
      }
      break;
    }
    case 'anthropic': {
      const index = body.messages.findIndex((m: Json) => m.role === 'assistant' && Array.isArray(m.content) && m.content.some((b: Json) => b.type === 'tool_use'));
      expect(index, 'an assistant message with tool_use blocks').to.be.at.least(0);
      const uses: Json[] = body.messages[index].content.filter((b: Json) => b.type === 'tool_use');
      expect(uses.map((u) => u.name)).to.deep.equal(expectedArgs.map(() => weatherTool.name));
      expect(uses.map((u) => u.input)).to.deep.equal(expectedArgs);
      if (callerKeepsIds) expect(uses[0]!.id).to.equal(ANTHROPIC_ID);
      expect(new Set(uses.map((u) => u.id)).size, 'distinct tool_use ids').to.equal(uses.length);
      const answer = body.messages[index + 1];
      expect(answer.role).to.equal('user');
      const results: Json[] = answer.content.slice(0, uses.length);
      expect(results.map((b) => b.type)).to.deep.equal(uses.map(() => 'tool_result'));
      for (const use of uses) {
        const result = results.find((b) => b.tool_use_id === use.id);
        expect(result, `a tool_result for ${use.id}`).to.not.equal(undefined);
        expect(textOf(result!.content)).to.equal(resultFor(use.input));
      }
      break;
    }
    case 'gemini': {
      const index = body.contents.findIndex((c: Json) => c.role === 'model' && c.parts.some((p: Json) => p.functionCall));
      expect(index, 'a model turn with functionCall parts').to.be.at.least(0);
      const calls: Json[] = body.contents[index].parts.filter((p: Json) => p.functionCall).map((p: Json) => p.functionCall);
      expect(calls).to.deep.equal(expectedArgs.map((args) => ({ name: weatherTool.name, args })));
      const answer = body.contents[index + 1];
      expect(answer.role).to.equal('user');
      const responses: Json[] = answer.parts.filter((p: Json) => p.functionResponse).map((p: Json) => p.functionResponse);
      // No ids in Gemini: the responses answer the calls in order, by name.
      expect(responses.map((r) => r.name)).to.deep.equal(calls.map((c) => c.name));
      responses.forEach((r, i) => expect(JSON.stringify(r.response)).to.contain(resultFor(calls[i]!.args)));
      expect(body.tools[0].functionDeclarations[0].name).to.equal(weatherTool.name);
      break;
    }
  }
}
