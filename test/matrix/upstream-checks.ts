// What each fake upstream must have received, in its own protocol, for one
// matrix cell: the upstream model name, the credential, the stream switch,
// the tool definitions on the first turn, and on the second turn the call
// replayed as the model made it followed by its result, tied to it the way
// that protocol ties them (Chat: tool_call_id; Anthropic: tool_use_id in a
// tool_result block; Gemini: a functionResponse named after the call).

import { expect } from 'chai';
import type { RecordedRequest } from '../support/fake-upstream.ts';
import { MODELS, type UpstreamName } from './matrix-gateway.ts';
import { ANTHROPIC_ID, FAKE_ARGS, MAX_TOKENS, OPENAI_ID, SYSTEM_PROMPT, TEMPERATURE, TOOL_RESULT, weatherTool } from './weather-models.ts';

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

/** The second turn replays the call and carries its result, tied to it. */
export function checkToolResultSent(upstream: Exclude<UpstreamName, 'mock'>, req: RecordedRequest, callerKeepsIds: boolean): void {
  const body: Json = req.json;
  switch (upstream) {
    case 'openai': {
      const assistant = body.messages.find((m: Json) => m.role === 'assistant' && Array.isArray(m.tool_calls));
      expect(assistant, 'an assistant message with tool_calls').to.not.equal(undefined);
      const call = assistant.tool_calls[0];
      expect(call.function.name).to.equal(weatherTool.name);
      expect(JSON.parse(call.function.arguments)).to.deep.equal(FAKE_ARGS);
      if (callerKeepsIds) expect(call.id).to.equal(OPENAI_ID);
      const tool = body.messages.at(-1);
      expect(tool.role).to.equal('tool');
      expect(tool.tool_call_id).to.equal(call.id);
      expect(textOf(tool.content)).to.equal(TOOL_RESULT);
      break;
    }
    case 'anthropic': {
      const index = body.messages.findIndex((m: Json) => m.role === 'assistant' && Array.isArray(m.content) && m.content.some((b: Json) => b.type === 'tool_use'));
      expect(index, 'an assistant message with a tool_use block').to.be.at.least(0);
      const use = body.messages[index].content.find((b: Json) => b.type === 'tool_use');
      expect(use.name).to.equal(weatherTool.name);
      expect(use.input).to.deep.equal(FAKE_ARGS);
      if (callerKeepsIds) expect(use.id).to.equal(ANTHROPIC_ID);
      const answer = body.messages[index + 1];
      expect(answer.role).to.equal('user');
      expect(answer.content[0].type).to.equal('tool_result');
      expect(answer.content[0].tool_use_id).to.equal(use.id);
      expect(textOf(answer.content[0].content)).to.equal(TOOL_RESULT);
      break;
    }
    case 'gemini': {
      const index = body.contents.findIndex((c: Json) => c.role === 'model' && c.parts.some((p: Json) => p.functionCall));
      expect(index, 'a model turn with a functionCall').to.be.at.least(0);
      const call = body.contents[index].parts.find((p: Json) => p.functionCall).functionCall;
      expect(call).to.deep.equal({ name: weatherTool.name, args: FAKE_ARGS });
      const answer = body.contents[index + 1];
      expect(answer.role).to.equal('user');
      const response = answer.parts.find((p: Json) => p.functionResponse)?.functionResponse;
      expect(response?.name).to.equal(weatherTool.name);
      expect(JSON.stringify(response.response)).to.contain(TOOL_RESULT);
      expect(body.tools[0].functionDeclarations[0].name).to.equal(weatherTool.name);
      break;
    }
  }
}
