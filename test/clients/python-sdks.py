"""The official Python SDKs against a running Switchyard, as a user's script would call it.

Usage: python python-sdks.py BASE_URL TOKEN MODEL
Prints one JSON object with what each call returned; exits non-zero on any SDK error.
"""
import json
import sys

import anthropic
import openai

base, token, model = sys.argv[1], sys.argv[2], sys.argv[3]
out = {"openai_version": openai.__version__, "anthropic_version": anthropic.__version__}

oa = openai.OpenAI(base_url=f"{base}/v1", api_key=token, max_retries=0)
chat = oa.chat.completions.create(model=model, messages=[{"role": "user", "content": "hello from python"}])
out["chat"] = chat.choices[0].message.content
out["chat_stream"] = "".join(
    c.choices[0].delta.content or ""
    for c in oa.chat.completions.create(model=model, messages=[{"role": "user", "content": "stream please"}], stream=True)
    if c.choices
)
resp = oa.responses.create(model=model, input="hello responses")
out["responses"] = resp.output_text
out["responses_tools"] = [t.type for t in resp.tools]
out["models"] = [m.id for m in oa.models.list()]
emb = oa.embeddings.create(model=model, input="vector")
out["embedding_length"] = len(emb.data[0].embedding)
try:
    oa.chat.completions.create(model="nope/none", messages=[{"role": "user", "content": "x"}])
    out["not_found"] = None
except openai.NotFoundError as err:
    out["not_found"] = err.status_code

an = anthropic.Anthropic(base_url=base, api_key=token, max_retries=0)
msg = an.messages.create(model=model, max_tokens=64, messages=[{"role": "user", "content": "hello claude sdk"}])
out["messages"] = msg.content[0].text
with an.messages.stream(model=model, max_tokens=64, messages=[{"role": "user", "content": "stream claude"}]) as stream:
    out["messages_stream"] = "".join(stream.text_stream)
out["anthropic_models"] = [m.id for m in an.models.list().data]
print(json.dumps(out))
