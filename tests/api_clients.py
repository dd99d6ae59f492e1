"""N streaming clients at once, in a process of their own (as other programs would be):
``python -m tests.api_clients URL KEY N MAX_TOKENS`` prints one JSON line: answered texts,
refused count, errors, and each answer's first-token and total seconds."""

from __future__ import annotations

import json
import sys
import threading
import time

import openai


def main() -> None:
    url, key, n, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    client = openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=120)
    answered: dict[int, dict[str, object]] = {}
    refused: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(n)

    def ask(i: int) -> None:
        try:
            barrier.wait()
            began = time.perf_counter()
            first = None
            text = []
            ids = set()
            stream = client.chat.completions.create(
                model="tiny-chat",
                messages=[{"role": "user", "content": f"client {i} asks question {i}"}],
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
            )
            for chunk in stream:
                ids.add(chunk.id)
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter() - began
                    text.append(chunk.choices[0].delta.content)
            answered[i] = {
                "text": "".join(text),
                "ids": len(ids),
                "first_s": first,
                "total_s": time.perf_counter() - began,
            }
        except openai.RateLimitError:
            refused.append(i)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    print(json.dumps({"answered": answered, "refused": refused, "errors": errors}))


if __name__ == "__main__":
    main()
