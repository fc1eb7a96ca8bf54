"""Write a realistic, seeded corpus: the shipped pages, toolkits and directory plus N generated bulletins.

Usage: python bench/corpus.py OUT_DIR --bulletins 1000 [--seed 1]
The same seed and size always give the same files.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FIRST_DAY = date(2010, 1, 4)
LAST_DAY = date(2026, 10, 30)

SUBJECTS = ["Trusts", "Training hubs", "Universities", "Practice managers", "Careers advisers", "Local partners",
            "Education leads", "Regional teams", "Employers", "Schools", "Integrated care boards", "Clinical tutors"]
VERBS = ["are expanding", "have launched", "continue to support", "are reviewing", "will pilot", "are funding",
         "have evaluated", "are widening", "will publish", "are strengthening", "have agreed", "are testing"]
OBJECTS = ["work experience placements", "apprenticeship routes into nursing", "mentoring for school pupils",
           "virtual placements for students", "support for care leavers", "pre-employment programmes",
           "training in mental health care", "digital skills for learners", "places on rural training schemes",
           "careers events in coastal towns", "learning on patient safety", "routes into allied health professions"]
ENDINGS = ["across the region this year", "with help from local employers", "so that more people can join the NHS",
           "in areas where recruitment is hardest", "following feedback from learners", "before the next intake",
           "alongside schools and colleges", "using evidence from earlier pilots", "with new funding for 2025",
           "to reach communities we rarely hear from"]
HEADINGS = ["What is changing", "Why it matters", "Who can take part", "What happens next", "Early results",
            "How to get involved", "Support for employers", "Support for learners", "Dates for your diary",
            "Resources and guidance"]
TITLE_STARTS = ["New support for", "An update on", "Funding confirmed for", "Evaluation published on",
                "Regional pilots extend", "Guidance refreshed for", "Record interest in", "Partners join forces on"]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(ENDINGS)}."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def section(rng: random.Random, heading: str, links: list[str]) -> str:
    parts = [f"## {heading}", paragraph(rng, rng.randint(4, 6))]
    if rng.random() < 0.6:
        parts.append("\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(3, 5))))
    if links:
        target = links.pop()
        parts.append(f"{sentence(rng)} Read [our earlier bulletin on {rng.choice(OBJECTS)}]({target}) for background.")
    if rng.random() < 0.5:
        parts.append(f"{sentence(rng)} The [NHS Health Careers website](https://www.healthcareers.nhs.uk/) "
                     "has more on each role.")
    if rng.random() < 0.3:
        parts.append("\n".join(f"{n}. {sentence(rng)}" for n in range(1, rng.randint(3, 5))))
    parts.append(paragraph(rng, rng.randint(3, 5)))
    return "\n\n".join(parts)


def bulletin_text(rng: random.Random, day: date, title: str, topics: list[str], links: list[str]) -> str:
    headings = rng.sample(HEADINGS, rng.randint(3, 6))
    body = [paragraph(rng, 3)] + [section(rng, heading, links) for heading in headings]
    changes = ""
    if rng.random() < 0.05:
        changes = f"changes:\n  - date: {(day + timedelta(days=7)).isoformat()}\n    note: Added dates for the next intake.\n"
    front = yaml.safe_dump({"title": title, "date": day.isoformat(), "summary": sentence(rng) + " " + sentence(rng),
                            "topics": topics, "author": "Communications team"}, sort_keys=False, allow_unicode=True)
    return f"---\n{front}{changes}---\n\n" + "\n\n".join(body) + "\n"


def copy_shipped(out: Path) -> None:
    """The real pages, taxonomy, directory and toolkits, so every page type is in the benchmark."""
    for name in ("mkdocs.yml",):
        shutil.copy2(ROOT / name, out / name)
    for folder in ("content", "toolkits", "bulletins"):
        shutil.copytree(ROOT / folder, out / folder)


def generate(out: Path, bulletins: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_shipped(out)
    topics = list(yaml.safe_load((ROOT / "content/taxonomy.yml").read_text(encoding="utf-8"))["topics"])
    shipped = len(list((out / "bulletins").glob("*.md")))
    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + timedelta(days=rng.randrange(span)) for _ in range(max(0, bulletins - shipped)))
    written: list[str] = []
    for index, day in enumerate(days):
        title = f"{rng.choice(TITLE_STARTS)} {rng.choice(OBJECTS)}"
        name = f"{day.isoformat()}-{'-'.join(title.lower().split()[:6])}-{index}.md"
        links = rng.sample(written, min(len(written), rng.randint(2, 5)))
        text = bulletin_text(rng, day, title, rng.sample(topics, rng.randint(1, 3)), links)
        (out / "bulletins" / name).write_text(text, encoding="utf-8")
        written.append(name)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--bulletins", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    generate(arguments.out, arguments.bulletins, arguments.seed)
    print(arguments.out)


if __name__ == "__main__":
    main()
