#!/usr/bin/env python3
"""A stand-in OpenAI Chat Completions server on 127.0.0.1 for measuring
ProtoScribe's model providers without a model: it answers every item
'addressed' with its first passage quoted (or 'missing' when it has none),
finds nothing unclear,
and reports tokens as a tokenizer would roughly count them (4 characters a
token). Usage: fake_openai_server.py PORT [DELAY_SECONDS]"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0


def answer(prompt):
    if "\nSentences:\n" in prompt:
        # The clarity request: nothing found.
        return {"findings": []}
    items, current = [], None
    for line in prompt.splitlines():
        if line.startswith("Item "):
            current = {"item": line[5:].split(":")[0], "verdict": "missing", "quote": "",
                       "rationale": "Not stated in the passages.",
                       "suggested_text": "[Describe this item for the trial.]"}
            items.append(current)
        elif line.startswith("[1] ") and current is not None:
            current.update(verdict="addressed", quote=line[4:], suggested_text=None,
                           rationale="The passage states it.")
    return {"items": items}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.reply({"object": "list", "data": [{"id": "fake"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        prompt = "".join(m["content"] for m in body["messages"])
        content = json.dumps(answer(body["messages"][-1]["content"]))
        time.sleep(DELAY)
        self.reply({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(content) // 4},
        })

    def reply(self, value):
        data = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
