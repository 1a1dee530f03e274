#!/usr/bin/env python3
"""Writes a synthetic help-desk export for `apolint audit`: replies built
from the labelled corpus drafts (both languages), spread over agents,
channels and twelve months, with a few canned responses (macros) sent many
times and, optionally, some malformed records.

    scripts/synth-export.py --records 20000 > export.jsonl
    scripts/synth-export.py --size-mb 1024 --out export.jsonl      # ~1 GB
    scripts/synth-export.py --records 5000 --format csv --out export.csv

Deterministic for a given --seed.
"""
import argparse, csv, json, pathlib, random, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
AGENTS = {
    "ru": ["Анна Козлова", "Дмитрий Орлов", "Елена Смирнова", "Игорь Петров", "Марина Волкова",
           "Сергей Никитин", "Ольга Белова", "Павел Зайцев"],
    "en": ["Emma Johnson", "Liam Smith", "Olivia Brown", "Noah Davis", "Ava Wilson",
           "James Taylor", "Sophia Clark", "Lucas Hall"],
}
CHANNELS = ["email", "chat", "social"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, help="number of replies")
    ap.add_argument("--size-mb", type=float, help="approximate output size instead")
    ap.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    ap.add_argument("--out", help="file to write (default stdout)")
    ap.add_argument("--bad-rate", type=float, default=0.001, help="share of malformed records (JSONL only)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if not args.records and not args.size_mb:
        args.records = 10000
    rnd = random.Random(args.seed)
    drafts = []
    for lang in ("ru", "en"):
        for f in sorted((ROOT / "corpus" / lang / "drafts").glob("*.txt")):
            drafts.append((lang, f.read_text(encoding="utf-8")))
    # A few drafts become macros: sent often, unchanged.
    macros = [(f"macro-{i + 1}", d) for i, d in enumerate(rnd.sample(drafts, 12))]
    # Some agents lean on some drafts (coaching differences show up).
    raw = open(args.out, "w", encoding="utf-8", newline="") if args.out else sys.stdout

    class Counted:
        """Counts the UTF-8 bytes written, whatever writes them (the csv
        writer too: --size-mb with --format csv never stopped)."""
        def __init__(self, f):
            self.f, self.bytes = f, 0
        def write(self, s):
            self.bytes += len(s.encode("utf-8"))
            return self.f.write(s)

    out = Counted(raw)
    writer = None
    if args.format == "csv":
        writer = csv.writer(out)
        writer.writerow(["ticket", "agent", "channel", "date", "macro", "text"])
    limit_bytes = int(args.size_mb * 1e6) if args.size_mb else None
    n = 0
    while (args.records and n < args.records) or (limit_bytes and out.bytes < limit_bytes):
        n += 1
        if rnd.random() < 0.25:
            macro, (lang, text) = rnd.choice(macros)
        else:
            macro, (lang, text) = None, rnd.choice(drafts)
        agent_pool = AGENTS[lang]
        # Skewed: the first agents write more, the last ones lean on macros.
        agent = agent_pool[min(int(rnd.expovariate(0.35)), len(agent_pool) - 1)]
        month = 1 + (n * 12) // max(args.records or 1, 1) if args.records else rnd.randint(1, 12)
        month = min(max(month, 1), 12)
        rec = {
            "ticket": f"T-{100000 + n}",
            "agent": agent,
            "channel": rnd.choice(CHANNELS),
            "date": f"2026-{month:02d}-{rnd.randint(1, 28):02d}T{rnd.randint(8, 20):02d}:{rnd.randint(0, 59):02d}:00Z",
            "macro": macro,
            "text": text,
        }
        if writer:
            writer.writerow([rec[k] or "" for k in ["ticket", "agent", "channel", "date", "macro", "text"]])
            continue
        if rnd.random() < args.bad_rate:
            line = rnd.choice(['{"ticket": "T-broken", "text": "unterminated', '{"agent": "no text field"}', 'plain text, not JSON'])
        else:
            line = json.dumps(rec, ensure_ascii=False)
        out.write(line + "\n")
    written = out.bytes
    if args.out:
        raw.close()
    print(f"{n} records" + (f", {written / 1e6:.1f} MB" if written else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
