"""Write a complete, valid, seeded benchmark site: pages, five toolkits, a directory and N bulletins.

Usage: python bench/corpus.py OUT_DIR --bulletins 200 [--seed 1]

The same seed and size always give byte-identical files. Everything except `mkdocs.yml` and the taxonomy is
generated, so the benchmark does not change when the shipped content does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".bench-corpus"  # proves a folder holds a generated corpus, so it may be overwritten
FIRST_DAY = date(2014, 11, 1)
LAST_DAY = date(2026, 10, 31)  # before the benchmark's SOURCE_DATE_EPOCH, so every bulletin is published
DIRECTORY_ENTRIES = 40
SETTINGS = ("general-practice", "dental", "secondary-care", "schools-and-careers", "online")

# Every prose sentence stays under 25 words, so filling up to 875 words never passes the 900-word ceiling.
WORDS_MIN, WORDS_FILL_MAX = 600, 875

SUBJECTS = [
    "Trusts across the region", "Training hubs", "Partner universities", "Practice managers", "Careers advisers",
    "Local authorities", "Education leads", "Our regional teams", "Employers", "Schools and colleges",
    "Integrated care boards", "Clinical tutors", "Primary care networks", "Ambulance services",
    "Mental health trusts", "Community pharmacies", "Dental practices", "Work experience coordinators",
    "Volunteer services", "Nursing and midwifery leads",
]
VERBS = [
    "are expanding", "have launched", "continue to support", "are reviewing", "will pilot", "are funding",
    "have evaluated", "are widening", "will publish", "are strengthening", "have agreed", "are testing",
    "are promoting", "have doubled", "are redesigning",
]
OBJECTS = [
    "work experience placements", "apprenticeship routes into nursing", "mentoring for school pupils",
    "virtual placements for students", "support for care leavers", "pre-employment programmes",
    "training in mental health care", "digital skills for learners", "places on rural training schemes",
    "careers events in coastal towns", "learning on patient safety", "routes into allied health professions",
    "nursing associate apprenticeships", "insight days for sixth formers", "supported internships",
    "return to practice courses", "healthcare support worker roles", "clinical placements in general practice",
    "dental nurse training", "paramedic degree apprenticeships", "summer schools for aspiring doctors",
    "volunteering programmes in hospitals", "careers resources for teachers", "physiotherapy taster sessions",
    "pharmacy technician training", "induction for international recruits", "leadership courses for new managers",
    "peer support for student midwives", "simulation training for ward teams", "outreach to veterans",
]
ENDINGS = [
    "across the region this year", "with help from local employers", "so that more people can join the NHS",
    "in areas where recruitment is hardest", "following feedback from learners", "before the next intake",
    "alongside schools and colleges", "using evidence from earlier pilots", "with new funding from the centre",
    "to reach communities we rarely hear from", "for people changing career", "in every integrated care system",
]
PEOPLE = ["students", "learners", "young people", "school pupils", "apprentices", "volunteers", "trainees"]
ACHIEVEMENTS = [
    "completed a placement", "gone on to apply for health courses", "started an apprenticeship",
    "taken up a permanent post", "joined a mentoring scheme", "finished the online course",
]
MONTHS = ["January", "March", "April", "June", "September", "October", "November"]
ROLES = ["a practice manager", "a ward sister", "an apprentice", "a careers adviser", "a training hub lead",
         "a student nurse", "a head teacher", "a paramedic tutor"]
QUOTES = [
    "It gave me the confidence to apply.", "We could not have done it without our partners.",
    "Seeing the team at work changed how I think about the NHS.",
    "The placement showed me what the job is really like.",
    "Our students now see a future for themselves in health care.", "We want every young person to have this chance.",
]
LINK_LEADS = ["For background, see", "This builds on", "We first reported this in", "Read more in",
              "There is more detail in", "Compare the results in"]
EXTERNAL_LINKS = [
    ("the NHS Health Careers website", "https://www.healthcareers.nhs.uk/"),
    ("the Find an apprenticeship service", "https://www.findapprenticeship.service.gov.uk/"),
    ("the NHS Jobs website", "https://www.jobs.nhs.uk/"),
    ("the Step into the NHS campaign", "https://www.stepintothenhs.nhs.uk/"),
    ("the Health and Safety Executive's guidance on young workers", "https://www.hse.gov.uk/young-workers/"),
    ("the e-Learning for Healthcare hub", "https://www.e-lfh.org.uk/"),
    ("NHS England's workforce pages", "https://www.england.nhs.uk/"),
    ("the National Careers Service", "https://nationalcareers.service.gov.uk/"),
    ("the Royal College of Nursing", "https://www.rcn.org.uk/"),
    ("the General Dental Council", "https://www.gdc-uk.org/"),
]
EXTERNAL_LEADS = ["More information is available from", "There is further guidance from", "Find out more from",
                  "Learners can also get advice from"]
HEADINGS = [
    "What is changing", "Why it matters", "Who can take part", "What happens next", "Early results",
    "How to get involved", "Support for employers", "Support for learners", "Dates for your diary",
    "Resources and guidance", "What learners told us", "Funding and eligibility", "Working with schools",
    "Safeguarding and supervision", "Measuring the impact", "Thanks to our partners",
]
STEPS = [
    "Read the guidance with your team", "Agree a named supervisor", "Register your interest with the training hub",
    "Complete the risk assessment", "Share the application form with local schools", "Plan the induction",
    "Confirm the dates with each learner", "Collect feedback at the end of the placement",
]
TITLE_STARTS = [
    "New support for", "An update on", "Funding confirmed for", "Evaluation published on", "Regional pilots of",
    "Guidance refreshed for", "Record interest in", "Partners join forces on", "Lessons learned from",
    "More places for", "A new approach to", "Celebrating success in", "Next steps for", "Spotlight on",
    "Call for expressions of interest in", "Changes to",
]
PLACES = [
    "Cumbria", "the Midlands", "London", "Cornwall", "the North East", "Yorkshire", "Kent", "Lincolnshire",
    "Norfolk", "Devon", "Greater Manchester", "Merseyside", "the Isle of Wight", "Essex", "Somerset",
    "Northumberland", "the Black Country", "Hampshire", "Suffolk", "the Humber", "Dorset", "Lancashire",
    "Bristol", "Sussex",
]
CHANGE_NOTES = ["Added the closing date for applications.", "Corrected the contact details.",
                "Updated the list of partner organisations.", "Added a link to the evaluation report."]
PROGRAMMES = ["Mentoring scheme", "Summer school", "Insight days", "Pre-employment programme", "Virtual placements",
              "Careers ambassadors", "Supported internships", "Volunteer to career pathway", "Taster weeks"]
FOR_WHOM = ["for aspiring nurses", "for young carers", "for care leavers", "for veterans", "for sixth formers",
            "for adults changing career", "for disabled young people", "for coastal schools", "for student midwives"]
ORGANISATION_KINDS = ["Training Hub", "Health and Care Partnership", "NHS Foundation Trust", "Careers Hub",
                      "Primary Care Network", "Schools Partnership"]
ENTRY_SECTIONS = ("What they did", "Outcomes", "What others can learn")
# setting -> (title, audience, summary)
TOOLKITS = {
    "general-practice": ("Work experience in general practice", "GP partners, practice managers and training hubs",
                         "How a GP surgery can host safe, worthwhile placements for students."),
    "dental": ("Work experience in dental practices", "Dental practice owners, managers and dental nurses",
               "Introducing students to the whole dental team, from reception to the surgery."),
    "secondary-care": ("Work experience in hospitals and community services", "Trust work experience leads",
                       "Planning placements across wards, departments and community teams."),
    "schools-and-careers": ("Health careers for teachers and careers advisers", "Teachers and careers advisers",
                            "Helping young people find out about, and prepare for, health careers."),
    "online": ("Online work-related learning", "Anyone running virtual work experience",
               "Running virtual work experience that is safe, interactive and open to all."),
}


class Download(NamedTuple):
    title: str
    file: str
    kind: str
    summary: str
    kilobytes: int  # whole kilobytes, so the "(PDF, 9 KB)" note the style check wants is exact

    def front_matter(self) -> dict:
        return {"title": self.title, "file": self.file, "kind": self.kind, "summary": self.summary}

    def link(self) -> str:
        return f"[{self.title} ({Path(self.file).suffix[1:].upper()}, {self.kilobytes} KB)]({self.file})"


DOWNLOADS = [
    Download("Work experience application form", "application-form.docx", "form",
             "A form for students to give their details, interests and support needs.", 14),
    Download("Placement checklist", "placement-checklist.pdf", "checklist",
             "Everything to do before, during and after a placement.", 9),
]
OPPORTUNITY_TITLES = ["Taster days for Year 10 to Year 13 students", "Healthcare support worker apprenticeships",
                      "Virtual work experience week", "Summer insight programme"]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def capitalise(text: str) -> str:
    """Upper-case the first letter only, unlike str.capitalize, which lower-cases names after it."""
    return text[:1].upper() + text[1:]


def front_matter(fields: dict) -> str:
    # A very wide line width keeps every value on one line, as the one-line fields require.
    return "---\n" + yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=10_000) + "---\n\n"


def render_blocks(blocks: list) -> str:
    return "\n\n".join(str(block) for block in blocks) + "\n"


def word_count(blocks: list) -> int:
    return sum(len(str(block).split()) for block in blocks)


@dataclass
class Paragraph:
    sentences: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(self.sentences)


@dataclass(frozen=True)
class PlannedBulletin:
    day: date
    title: str

    @property
    def filename(self) -> str:
        return f"{self.day.isoformat()}-{slugify(self.title)}.md"


class Prose:
    """Plausible NHS-workforce sentences, lists and links from one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def statement(self) -> str:
        pick = self.rng.choice
        return f"{pick(SUBJECTS)} {pick(VERBS)} {pick(OBJECTS)} {pick(ENDINGS)}."

    def sentence(self) -> str:
        pick = self.rng.choice
        templates = [
            # Listed twice: the plain statement is the commonest sentence in real bulletins.
            self.statement,
            self.statement,
            lambda: f"Applications for {pick(OBJECTS)} open in {pick(MONTHS)} and close six weeks later.",
            lambda: f"We will share what we learn about {pick(OBJECTS)} in a future bulletin.",
            lambda: f"{self.rng.randint(55, 97)} per cent of {pick(PEOPLE)} said the programme had helped them.",
            lambda: f"Places are free, and travel costs can be paid for {pick(PEOPLE)} who need help.",
            lambda: f"Since the work began, {self.rng.randint(12, 900)} {pick(PEOPLE)} have {pick(ACHIEVEMENTS)}.",
            lambda: f"As {pick(ROLES)} told us: \"{pick(QUOTES)}\"",
            lambda: f"This is part of our commitment to {pick(OBJECTS)} {pick(ENDINGS)}.",
            lambda: f"{pick(SUBJECTS)} say that {pick(OBJECTS)} work best when planned {pick(ENDINGS)}.",
        ]
        return pick(templates)()

    def paragraph(self, sentences: int) -> Paragraph:
        return Paragraph([self.sentence() for _ in range(sentences)])

    def bullet_list(self) -> str:
        items = self.rng.sample(OBJECTS, self.rng.randint(3, 5))
        return "\n".join(f"- {capitalise(item)} {self.rng.choice(ENDINGS)}" for item in items)

    def numbered_list(self) -> str:
        steps = self.rng.sample(STEPS, self.rng.randint(3, 5))
        return "\n".join(f"{number}. {step}." for number, step in enumerate(steps, 1))

    def external_link(self) -> str:
        text, url = self.rng.choice(EXTERNAL_LINKS)
        return f"{self.rng.choice(EXTERNAL_LEADS)} [{text}]({url})."

    def fill(self, blocks: list, paragraphs: list[Paragraph], words: int) -> None:
        """Grow the paragraphs in turn, a sentence at a time, until the blocks hold `words` words."""
        total = word_count(blocks)
        turn = 0
        while total < words:
            sentence = self.sentence()
            paragraphs[turn % len(paragraphs)].sentences.append(sentence)
            total += len(sentence.split())
            turn += 1


def internal_link(rng: random.Random, target: PlannedBulletin, prefix: str = "") -> str:
    return f"{rng.choice(LINK_LEADS)} [{target.title}]({prefix}{target.filename})."


def plan_bulletins(rng: random.Random, count: int) -> list[PlannedBulletin]:
    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + timedelta(days=rng.randrange(span + 1)) for _ in range(count))
    used: set[str] = set()
    return [PlannedBulletin(day, unique_title(rng, used)) for day in days]


def unique_title(rng: random.Random, used: set[str]) -> str:
    """A title whose slug no other bulletin has; after a few clashes a numbered suffix guarantees it."""
    title = ""
    for _attempt in range(20):
        title = f"{rng.choice(TITLE_STARTS)} {rng.choice(OBJECTS)} in {rng.choice(PLACES)}"
        if slugify(title) not in used:
            break
    base, number = title, 2
    while slugify(title) in used:
        title, number = f"{base}, part {number}", number + 1
    used.add(slugify(title))
    return title


def link_targets(rng: random.Random, plan: list[PlannedBulletin], index: int) -> list[PlannedBulletin]:
    """2 to 5 other bulletins, earlier ones when there are enough, as a real archive would cite."""
    wanted = rng.randint(2, 5)
    earlier = plan[:index]
    pool = earlier if len(earlier) >= wanted else plan[:index] + plan[index + 1:]
    return rng.sample(pool, min(wanted, len(pool)))


def bulletin_body(prose: Prose, links: list[str]) -> str:
    rng = prose.rng
    intro = prose.paragraph(2)
    blocks: list = [intro]
    paragraphs = [intro]
    for heading in rng.sample(HEADINGS, rng.randint(3, 6)):
        paragraph = prose.paragraph(2)
        blocks += [f"## {heading}", paragraph]
        paragraphs.append(paragraph)
        if rng.random() < 0.45:
            blocks.append(prose.bullet_list())
        if rng.random() < 0.25:
            blocks.append(prose.numbered_list())
    # Links go at paragraph starts so the filling sentences cannot push them apart from their section.
    for link in links:
        rng.choice(paragraphs).sentences.insert(0, link)
    prose.fill(blocks, paragraphs, rng.randint(WORDS_MIN, WORDS_FILL_MAX))
    return render_blocks(blocks)


def bulletin_text(prose: Prose, plan: list[PlannedBulletin], index: int, topics: list[str]) -> str:
    rng = prose.rng
    bulletin = plan[index]
    links = [internal_link(rng, target) for target in link_targets(rng, plan, index)]
    links += [prose.external_link() for _ in range(rng.randint(1, 3))]
    fields: dict = {"title": bulletin.title, "date": bulletin.day, "summary": prose.statement(),
                    "topics": rng.sample(topics, rng.randint(1, 3))}
    if rng.random() < 0.3:
        fields["author"] = "Communications team"
    if rng.random() < 0.05:
        fields["changes"] = change_history(rng, bulletin.day)
    return front_matter(fields) + bulletin_body(prose, links)


def change_history(rng: random.Random, day: date) -> list[dict]:
    later = min(day + timedelta(days=rng.randint(1, 60)), LAST_DAY)
    return [{"date": later, "note": rng.choice(CHANGE_NOTES)}]


def toolkit_text(prose: Prose, setting: str, regions: list[str]) -> str:
    rng = prose.rng
    title, audience, summary = TOOLKITS[setting]
    fields = {
        "title": title,
        "summary": summary,
        "setting": setting,
        "audience": audience,
        "last_reviewed": date(2026, rng.randint(1, 9), rng.randint(1, 28)),
        "review_due": date(2028, rng.randint(1, 12), rng.randint(1, 28)),
        "downloads": [download.front_matter() for download in DOWNLOADS],
        "links": [{"title": capitalise(text), "url": url} for text, url in rng.sample(EXTERNAL_LINKS, 2)],
        "opportunities": [opportunity(rng, regions) for _ in range(rng.randint(1, 2))],
    }
    download_links = "\n".join(f"- {download.link()}" for download in DOWNLOADS)
    blocks = [prose.paragraph(3), "## Planning the placement", prose.paragraph(4), prose.numbered_list(),
              "## Safeguarding", prose.paragraph(3), "## Forms and templates", download_links]
    return front_matter(fields) + render_blocks(blocks)


def opportunity(rng: random.Random, regions: list[str]) -> dict:
    return {"title": rng.choice(OPPORTUNITY_TITLES), "provider": organisation(rng),
            "region": rng.choice(regions), "url": rng.choice(EXTERNAL_LINKS)[1],
            "closes": date(2028, rng.randint(1, 12), rng.randint(1, 28))}


def organisation(rng: random.Random) -> str:
    return f"{capitalise(rng.choice(PLACES).removeprefix('the '))} {rng.choice(ORGANISATION_KINDS)}"


def entry_text(prose: Prose, title: str, slug: str, vocabularies: dict[str, list[str]],
               bulletins: list[PlannedBulletin]) -> str:
    rng = prose.rng
    fields: dict = {
        "title": title,
        "organisation": organisation(rng),
        "summary": prose.statement(),
        "region": rng.choice(vocabularies["regions"]),
        "topics": rng.sample(vocabularies["topics"], rng.randint(1, 3)),
        "approaches": rng.sample(vocabularies["approaches"], rng.randint(1, 2)),
        "audiences": rng.sample(vocabularies["audiences"], rng.randint(1, 2)),
        "evidence": rng.choice(vocabularies["evidence"]),
        "started": rng.randint(2012, 2026),
    }
    if rng.random() < 0.7:
        fields["website"] = f"https://{slug}.example.org/"
    if rng.random() < 0.6:
        fields["contact"] = {"name": "Widening participation team", "email": f"{slug[:40].rstrip('-')}@example.nhs.uk"}
    setting = rng.choice(SETTINGS)
    closing = Paragraph([f"Employers may find the [toolkit on {TOOLKITS[setting][0].lower()}]"
                         f"(../../toolkits/{setting}/index.md) helpful."])
    if bulletins:
        closing.sentences.append(internal_link(rng, rng.choice(bulletins), "../../bulletins/"))
    blocks = [f"## {ENTRY_SECTIONS[0]}", prose.paragraph(3), prose.bullet_list(),
              f"## {ENTRY_SECTIONS[1]}", prose.paragraph(3),
              f"## {ENTRY_SECTIONS[2]}", prose.bullet_list(), closing]
    return front_matter(fields) + render_blocks(blocks)


def entry_titles(rng: random.Random, count: int) -> list[str]:
    titles: dict[str, str] = {}  # slug -> title, so two titles never share an address
    while len(titles) < count:
        title = f"{rng.choice(PROGRAMMES)} {rng.choice(FOR_WHOM)} in {rng.choice(PLACES)}"
        titles.setdefault(slugify(title), title)
    return list(titles.values())


def pages(prose: Prose, bulletins: list[PlannedBulletin], first_entry: str) -> dict[str, str]:
    toolkit_list = "\n".join(f"- [{TOOLKITS[s][0]}](../toolkits/{s}/index.md)" for s in SETTINGS)
    index_blocks = [prose.paragraph(3), "## Toolkits", toolkit_list,
                    Paragraph(["You can [get new bulletins by feed or email](subscribe.md), and read "
                               "[about this site and who runs it](about.md)."])]
    if bulletins:
        index_blocks.append(Paragraph([f"The latest bulletin is [{bulletins[-1].title}]"
                                       f"(../bulletins/{bulletins[-1].filename})."]))
    about_blocks = [prose.paragraph(4), "## Why the site exists", prose.paragraph(4),
                    "## What you will find here", prose.bullet_list(),
                    Paragraph([f"The directory starts with [{first_entry}](directory/{slugify(first_entry)}.md)."])]
    subscribe_blocks = [prose.paragraph(2), "## Feeds for the whole site",
                        "- [All bulletins as an RSS feed](/feed.xml)\n- [All bulletins as an Atom feed](/atom.xml)",
                        "## How to follow a feed", prose.numbered_list()]
    return {
        "content/index.md": front_matter({"title": "Stakeholder bulletins, toolkits and best practice",
                                          "summary": "News and practical resources for health careers."})
        + render_blocks(index_blocks),
        "content/about.md": front_matter({"title": "About this site"}) + render_blocks(about_blocks),
        "content/subscribe.md": front_matter({"title": "Get updates by feed or email"})
        + render_blocks(subscribe_blocks),
    }


def taxonomy_text() -> str:
    shipped = ROOT / "content/taxonomy.yml"
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    sys.path.insert(0, str(ROOT / "tests"))
    from sitekit import taxonomy_text as test_taxonomy

    return test_taxonomy()


def fingerprint(bulletins: int, seed: int) -> str:
    """Changes whenever the corpus would: the generator, the copied inputs, the size or the seed."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((ROOT / "mkdocs.yml").read_bytes())
    digest.update(taxonomy_text().encode())
    digest.update(f"{bulletins}:{seed}".encode())
    return digest.hexdigest()[:16]


def is_current(out: Path, bulletins: int, seed: int) -> bool:
    marker = out / MARKER
    return marker.is_file() and json.loads(marker.read_text()).get("fingerprint") == fingerprint(bulletins, seed)


def prepare(out: Path) -> None:
    """Empty the folder, but only if it is missing, empty or an earlier corpus: never a real site."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise SystemExit(f"{out} is not empty and holds no generated corpus; choose an empty folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(json.dumps({"complete": False}))


def write(out: Path, rel: str, content: str | bytes) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="\n")


def generate(out: Path, bulletins: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    prose = Prose(rng)
    prepare(out)
    taxonomy = taxonomy_text()
    vocabularies = {name: list(terms) for name, terms in yaml.safe_load(taxonomy).items()}
    write(out, "mkdocs.yml", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    write(out, "content/taxonomy.yml", taxonomy)
    plan = plan_bulletins(rng, bulletins)
    for index, bulletin in enumerate(plan):
        write(out, f"bulletins/{bulletin.filename}", bulletin_text(prose, plan, index, vocabularies["topics"]))
    for setting in SETTINGS:
        write(out, f"toolkits/{setting}/index.md", toolkit_text(prose, setting, vocabularies["regions"]))
        for download in DOWNLOADS:
            # The file must start like its type (publisher/assets.py checks); the same random bytes are drawn.
            magic = b"%PDF-" if download.file.endswith(".pdf") else b"PK\x03\x04"
            data = magic + rng.randbytes(download.kilobytes * 1024)[len(magic):]
            write(out, f"toolkits/{setting}/{download.file}", data)
    titles = entry_titles(rng, DIRECTORY_ENTRIES)
    for title in titles:
        slug = slugify(title)
        write(out, f"content/directory/{slug}.md", entry_text(prose, title, slug, vocabularies, plan))
    for rel, text in pages(prose, plan, titles[0]).items():
        write(out, rel, text)
    (out / MARKER).write_text(json.dumps({"complete": True, "bulletins": bulletins, "seed": seed,
                                          "fingerprint": fingerprint(bulletins, seed)}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the site into (must be empty or an earlier corpus)")
    parser.add_argument("--bulletins", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    generate(arguments.out, arguments.bulletins, arguments.seed)
    print(arguments.out)


if __name__ == "__main__":
    main()
