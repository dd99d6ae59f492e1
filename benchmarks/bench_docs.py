"""Documents (RAG) in one run: indexing throughput, retrieval latency over 100k chunks, and
retrieval quality on a small question set, ours against the raw library where there is one.

- Indexing: ``DocIndex.index`` on generated Markdown files (extract, chunk, embed, write)
  against raw batched ``llama_cpp.Llama(embedding=True).embed(batch)`` on the same model and the
  very same chunk texts (read back from the index), and how close the two sets of vectors are.
- Latency: ``search`` over ``--chunks`` chunks generated straight into a DocIndex (text from word
  lists, 10% of it Chinese; random unit vectors of the model's dimension), for a rare word, common
  words, a Chinese question, a 2-character Chinese word and lone Chinese characters: keyword
  only, hybrid without the query's embedding (a precomputed vector), hybrid with it; against FTS5
  ranking every match (what search did before the common-word cap) and the numpy product alone.
- Quality: benchmarks/data/docs_qa/ (40 English, 18 Chinese short passages, one question each,
  paraphrased), hit@1 and hit@5 of BM25 only, vectors only and hybrid.

``--model PATH`` names the embedding model; without it a tiny generated model is used (its
vectors mean nothing: the quality numbers are then only BM25's). There is no real embedding model
offline here: the real run uses the Qwen2.5-Coder-0.5B chat model, mean-pooled by llama.cpp.

Usage: ``python benchmarks/bench_docs.py [--model PATH] [--chunks N] [--runs N] [--files N]
[--only throughput,latency,quality]``. The 100k-chunk index is generated once into
benchmarks/out/docs/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from chatapp.core.docs.index import DocIndex
from chatapp.core.docs.search import CANDIDATES, search
from chatapp.core.inference.embeddings import Embedded, Embedder

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "docs"
QA = HERE / "data" / "docs_qa"

# English by rough frequency: the first ones are in nearly every chunk
_COMMON = (
    "the of and to a in is that for it as with was on be by this are data from at or which "
    "an not have has can all one their more will about there when been other some into time "
    "system report value"
)
COMMON = _COMMON.split()
_WORDS = (
    "model file table user server network memory process result number group project market "
    "energy policy water city school history music price account battery garden river bridge "
    "engine window letter station island forest winter summer doctor market village kitchen "
    "window camera pocket engine ticket office library museum harbour mountain valley planet "
    "signal module version update release budget invoice contract meeting customer employee "
    "holiday weekend morning evening machine printer screen cable router password backup folder "
    "archive measure sample field season method theory letter column border target record"
)
WORDS = _WORDS.split()
_ZH_COMMON = "的 是 在 了 和 有 我们 这个 一个 可以 进行 以及 由于 因此 没有"
ZH_COMMON = _ZH_COMMON.split()
_ZH_WORDS = (
    "系统 数据 用户 服务 网络 文件 项目 市场 能源 政策 城市 学校 历史 音乐 价格 账户 电池 花园 "
    "河流 桥梁 发动机 窗口 车站 森林 冬天 夏天 医生 村庄 厨房 相机 门票 办公室 图书馆 博物馆 "
    "港口 山谷 行星 信号 版本 更新 发布 预算 发票 合同 会议 客户 员工 假期 周末 早上 晚上 机器 "
    "打印机 屏幕 电缆 密码 备份 文件夹 档案 测量 样本 方法 理论 边界 目标 记录 模型 算法 训练"
)
ZH_WORDS = _ZH_WORDS.split()

QUERIES = {
    "rare word": "zeppelin hangar",
    "common words": "the data is",
    "Chinese question": "长城全长多少公里",
    "2-char Chinese": "模型",
    "1 Chinese char, in none": "茶",
    "1 Chinese char, common": "的",
}


def ms_stats(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def text_of(rng: np.random.Generator, zh: bool, n: int) -> str:
    common, words = (ZH_COMMON, ZH_WORDS) if zh else (COMMON, WORDS)
    vocab = common + words
    weights = 1.0 / np.arange(1, len(vocab) + 1)  # Zipf
    picks = rng.choice(len(vocab), size=n, p=weights / weights.sum())
    sep = "" if zh else " "
    return sep.join(vocab[i] for i in picks) + ("。" if zh else ".")


class Fixed:
    """An embedder that answers every query with one precomputed vector: search's own cost
    without the query's embedding."""

    def __init__(self, vector: list[float]) -> None:
        self.vector = vector

    def embed(self, texts: list[str]) -> Embedded:
        return Embedded([self.vector for _ in texts], 0)


# indexing


def throughput(embedder: Embedder, model: Path, files: int) -> list[tuple[str, str, str]]:
    import llama_cpp

    rng = np.random.default_rng(7)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        root.mkdir()
        for i in range(files):
            sections = [
                f"## Part {j}\n\n" + " ".join(text_of(rng, False, 60) for _ in range(5))
                for j in range(4)
            ]
            (root / f"doc{i:03}.md").write_text(f"# Document {i}\n\n" + "\n\n".join(sections))
        with DocIndex(Path(tmp) / "docs.sqlite3") as index:
            t = time.perf_counter()
            result = index.index("bench", [root], embedder)
            ours = time.perf_counter() - t
            texts = [c[2] for p, _ in index.files("bench") for c in index.file_chunks("bench", p)]
            _, ours_vectors = index.matrix(index.collection_id("bench"))
        tokens = sum(embedder.count_tokens(x) for x in texts)
    with_pooling = llama_cpp.LLAMA_POOLING_TYPE_UNSPECIFIED
    llm = llama_cpp.Llama(
        model_path=str(model), embedding=True, n_ctx=2048, pooling_type=with_pooling, verbose=False
    )
    if int(llm.pooling_type()) == llama_cpp.LLAMA_POOLING_TYPE_NONE:
        llm.close()
        llm = llama_cpp.Llama(
            model_path=str(model),
            embedding=True,
            n_ctx=2048,
            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
            verbose=False,
        )
    t = time.perf_counter()
    raw_vectors = []
    for start in range(0, len(texts), 32):
        raw_vectors.extend(llm.embed(texts[start : start + 32], normalize=True))
    raw = time.perf_counter() - t
    llm.close()
    raw_m = np.asarray(raw_vectors, np.float32)
    worst = float(1 - (np.sum(raw_m * ours_vectors, axis=1)).min())
    n = len(texts)
    rows.append(
        (
            f"index {files} Markdown files, {n} chunks, {tokens} tokens",
            f"{n / ours:.1f} chunks/s, {files / ours:.2f} files/s, {tokens / ours:.0f} tok/s "
            f"({ours:.1f} s)",
            f"{n / raw:.1f} chunks/s, {tokens / raw:.0f} tok/s ({raw:.1f} s, embedding only)",
        )
    )
    rows.append(
        (
            "vectors: ours (one text a call) vs raw batch",
            f"largest 1 - cosine {worst:.1e}",
            f"{len(result.embedded)} files embedded",
        )
    )
    return rows


# latency


def big_index(n: int, dim: int, model: Path) -> Path:
    path = OUT / f"bench-{n}-{dim}.sqlite3"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"generating {n:,} chunks of dimension {dim} (once) ...", file=sys.stderr)
    t = time.perf_counter()
    partial = path.with_suffix(".partial")
    for leftover in OUT.glob(partial.name + "*"):
        leftover.unlink()
    DocIndex(partial).close()  # the schema, as the app writes it
    rng = np.random.default_rng(1)
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    cid = conn.execute(
        "INSERT INTO collections(name, model, dim) VALUES ('bench', ?, ?)", (str(model), dim)
    ).lastrowid
    per_file = 100
    planted = {
        7: "The zeppelin rests in its hangar near the old airfield.",
        51_234: "The zeppelin hangar was built in 1929.",
        88_001: "长城是中国古代修建的防御工程，全长两万多公里。",
    }
    for start in range(0, n, per_file):
        fid = conn.execute(
            "INSERT INTO files(collection_id, path, size, mtime_ns, sha256, state) "
            "VALUES (?, ?, 0, 0, '', 'indexed')",
            (cid, f"/bench/file{start // per_file:05}.md"),
        ).lastrowid
        vectors = rng.standard_normal((per_file, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = []
        for j in range(per_file):
            i = start + j
            zh = i % 10 == 3
            text = planted.get(i) or text_of(rng, zh, 120 if zh else 70)
            chunks.append((fid, j, text, None, None, vectors[j].tobytes()))
        conn.executemany(
            "INSERT INTO chunks(file_id, seq, text, page, heading, vector) VALUES (?,?,?,?,?,?)",
            chunks,
        )
        if start and start % 10_000 == 0:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(path)
    print(f"  {time.perf_counter() - t:.0f} s, {path.stat().st_size / 1e6:.0f} MB", file=sys.stderr)
    return path


def latency(embedder: Embedder, model: Path, n: int, runs: int) -> list[tuple[str, str, str]]:
    dim = len(embedder.embed(["x"]).vectors[0])
    path = big_index(n, dim, model)
    rows = []
    with DocIndex(path) as index:
        t = time.perf_counter()
        index.matrix(index.collection_id("bench"))
        load = time.perf_counter() - t
        rows.append((f"first search: read {n:,} x {dim} vectors", f"{load * 1000:.0f} ms", "—"))
        raw = sqlite3.connect(path)
        _, matrix = index.matrix(index.collection_id("bench"))
        for name, query in QUERIES.items():
            vector = embedder.embed([query]).vectors[0]
            fixed = Fixed(vector)
            keyword = search(index, "bench", query, None)
            search(index, "bench", query, fixed)  # warm the page cache
            kw = ms_stats(lambda q=query: search(index, "bench", q, None), runs)  # type: ignore[misc]
            hybrid = ms_stats(lambda q=query, f=fixed: search(index, "bench", q, f), runs)  # type: ignore[misc]
            full = ms_stats(lambda q=query: search(index, "bench", q, embedder), runs)  # type: ignore[misc]
            old = " OR ".join(f'"{w}"' for w in query.split())
            matches = raw.execute(
                "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (old,)
            ).fetchone()[0]
            fts = ms_stats(
                lambda m=old: raw.execute(  # type: ignore[misc]
                    "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? "
                    "ORDER BY bm25(chunks_fts) LIMIT ?",
                    (m, CANDIDATES),
                ).fetchall(),
                runs,
            )
            q = np.asarray(vector, np.float32)
            dot = ms_stats(lambda q=q: np.argpartition(-(matrix @ q), CANDIDATES), runs)  # type: ignore[misc]
            rows.append(
                (
                    f"{name} `{query}`: keyword only ({len(keyword)} hits)",
                    f"{kw[0]:.1f} / {kw[1]:.1f} ms",
                    f"FTS5 unicode61 ranking all {matches:,} matches: "
                    f"{fts[0]:.1f} / {fts[1]:.1f} ms",
                )
            )
            rows.append(
                (
                    f"{name}: hybrid, query vector given / embedded",
                    f"{hybrid[0]:.1f} / {hybrid[1]:.1f} ms; {full[0]:.1f} / {full[1]:.1f} ms",
                    f"numpy product + top 50 alone: {dot[0]:.1f} / {dot[1]:.1f} ms",
                )
            )
        raw.close()
    return rows


# quality


def quality(embedder: Embedder) -> tuple[list[tuple[str, ...]], list[str]]:
    passages = [json.loads(x) for x in (QA / "passages.jsonl").read_text().splitlines() if x]
    questions = [json.loads(x) for x in (QA / "questions.jsonl").read_text().splitlines() if x]
    misses: list[str] = []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "qa"
        root.mkdir()
        for p in passages:
            (root / f"{p['id']}.txt").write_text(p["text"] + "\n")
        with DocIndex(Path(tmp) / "docs.sqlite3") as index:
            index.index("qa", [root], embedder)
            ids, matrix = index.matrix(index.collection_id("qa"))
            names = {c: Path(r[0]).stem for c, r in index.chunk_rows([int(i) for i in ids]).items()}

            def by_vectors(q: str) -> list[str]:
                v = np.asarray(embedder.embed([q]).vectors[0], np.float32)
                return [names[int(ids[i])] for i in np.argsort(-(matrix @ v))[:5]]

            ways: dict[str, Callable[[str], list[str]]] = {
                "BM25 only": lambda q: [Path(h.path).stem for h in search(index, "qa", q, None)],
                "vectors only": by_vectors,
                "hybrid": lambda q: [Path(h.path).stem for h in search(index, "qa", q, embedder)],
            }
            for lang, label in (("en", "English"), ("zh", "Chinese")):
                asked = [q for q in questions if q["lang"] == lang]
                cells = []
                for way, fn in ways.items():
                    at1 = at5 = 0
                    for q in asked:
                        got = fn(q["q"])
                        at1 += bool(got) and got[0] == q["answer"]
                        at5 += q["answer"] in got
                        if q["answer"] not in got:
                            misses.append(f"{way}: {q['q']} -> {got[:3]}")
                    cells.append(f"{at1}/{len(asked)}, {at5}/{len(asked)}")
                rows.append((f"{label} ({len(asked)} questions)", *cells))
    return rows, misses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="embedding model (default: a generated one)")
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--files", type=int, default=10, help="files for the throughput part")
    ap.add_argument("--only", default="throughput,latency,quality")
    args = ap.parse_args()
    model = args.model
    if model is None:
        from chatapp.core.models.synthetic import write_chat_model

        OUT.mkdir(parents=True, exist_ok=True)
        model = write_chat_model(OUT / "generated-embedder.gguf")
        print("no --model: a generated model, whose vectors mean nothing", file=sys.stderr)
    else:
        print(
            f"model {model.name}: no real embedding model is available offline here; a chat "
            "model mean-pooled by llama.cpp stands in for one",
            file=sys.stderr,
        )
    embedder = Embedder(model)
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}, "
        f"model {model.name}, {args.runs} runs (median / p95)",
        file=sys.stderr,
    )
    rows: list[tuple[str, str, str]] = []
    parts = args.only.split(",")
    misses: list[str] = []
    qa: list[tuple[str, ...]] = []
    try:
        if "throughput" in parts:
            rows += throughput(embedder, model, args.files)
        if "latency" in parts:
            rows += latency(embedder, model, args.chunks, args.runs)
        if "quality" in parts:
            qa, misses = quality(embedder)
    finally:
        embedder.close()
    for miss in misses:
        print("  missed:", miss, file=sys.stderr)
    print("| measure | ours | raw library / the other ways |")
    print("|---|---|---|")
    for name, ours, raw in rows:
        print(f"| {name} | {ours} | {raw} |")
    if qa:
        print("\n| questions: hit@1, hit@5 | BM25 only | vectors only | hybrid (RRF) |")
        print("|---|---|---|---|")
        for row in qa:
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
