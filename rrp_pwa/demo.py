"""The demo school: realistic enough to try every screen, made from a fixed seed."""
import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from rrp_pwa.extensions import db
from rrp_pwa.models import Group, Pupil, School, Staff
from rrp_pwa.roster.directory import add_staff

DEMO_SLUG = "oakfield"
DEMO_DOMAIN = "oakfield.example"

GIVEN_NAMES = [
    "Amira", "Oliver", "Zainab", "Jack", "Freya", "Mohammed", "Isla", "Kacper", "Aisha", "Noah",
    "Maya", "Leo", "Chloe", "Tariq", "Evie", "Oscar", "Priya", "Harry", "Lily", "Yusuf",
    "Grace", "Theo", "Sofia", "Archie", "Hana", "Ethan", "Ava", "Dylan", "Zofia", "Reuben",
    "Niamh", "Kofi", "Ruby", "Arjun", "Poppy", "Ibrahim", "Daisy", "Finley", "Layla", "Callum",
    "Mei", "Alfie", "Esme", "Dev", "Rosie", "Samuel", "Amara", "Louis", "Imogen", "Tomasz",
]
FAMILY_NAMES = [
    "Khan", "Smith", "Okafor", "Jones", "Patel", "Williams", "Nowak", "Brown", "Ahmed", "Taylor",
    "Murphy", "Davies", "Hussain", "Evans", "Mensah", "Wilson", "Begum", "Thomas", "Kowalski", "Roberts",
    "Chen", "Walker", "Ali", "Wright", "Osei", "Robinson", "Singh", "Thompson", "Hughes", "O'Brien",
    "Nguyen", "Green", "Ibrahim", "Hall", "Adeyemi", "Lewis", "Clarke", "Jackson", "Rahman", "Wood",
]
CLASSES = [("Year 1 Willow", "Year 1"), ("Year 2 Rowan", "Year 2"), ("Year 3 Hazel", "Year 3"),
           ("Year 4 Birch", "Year 4"), ("Year 5 Cedar", "Year 5"), ("Year 6 Oak", "Year 6")]
TEACHERS = ["Ms Adebayo", "Mr Lewandowski", "Mrs Hughes", "Mr Chaudhry", "Miss Byrne", "Mr Osei"]


def seed_demo_school(password: str) -> tuple[School, list[Staff]]:
    """Oakfield Primary: 6 classes of 25-30 pupils, a teacher each, two midday assistants,
    a pastoral lead, a DSL and an admin (the head, who is also DSL), and 8 peer mediators."""
    rng = random.Random(20261127)
    school = School(name="Oakfield Primary School", slug=DEMO_SLUG, timezone="Europe/London")
    db.session.add(school)
    db.session.flush()

    def staff(email: str, name: str, roles: list[str]) -> Staff:
        return add_staff(school, f"{email}@{DEMO_DOMAIN}", name, roles, password)

    head = staff("head", "Mrs Okonjo", ["admin", "dsl"])
    pastoral = staff("pastoral", "Mr Reid", ["pastoral"])
    dsl = staff("dsl", "Ms Farah", ["dsl", "pastoral"])
    midday = [staff("midday1", "Mrs Doyle", ["support"]), staff("midday2", "Mr Amin", ["support"])]
    teachers = [staff(f"teacher{n + 1}", name, ["teacher"]) for n, name in enumerate(TEACHERS)]
    mediation_club = Group(school_id=school.id, name="Peer mediators", kind="club", archived=False)
    mediation_club.staff = [pastoral]
    db.session.add(mediation_club)
    for (class_name, year), teacher in zip(CLASSES, teachers):
        group = Group(school_id=school.id, name=class_name, kind="class", archived=False)
        group.staff = [teacher, *midday]
        for _ in range(rng.randint(25, 30)):
            pupil = Pupil(school_id=school.id, given_name=rng.choice(GIVEN_NAMES),
                          family_name=rng.choice(FAMILY_NAMES), year_group=year,
                          peer_mediator=False, archived=False)
            group.pupils.append(pupil)
        db.session.add(group)
        if year in ("Year 5", "Year 6"):
            for pupil in rng.sample(group.pupils, 4):
                pupil.peer_mediator = True
                mediation_club.pupils.append(pupil)
    db.session.flush()
    seed_demo_history(school, rng, pastoral, midday, mediation_club.pupils)
    return school, [head, pastoral, dsl, *midday, *teachers]


def school_days_before(today: date, count: int) -> list[date]:
    """The ``count`` weekdays before ``today``, oldest first."""
    days, day = [], today
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days[::-1]


def seed_demo_history(school: School, rng: random.Random, lead: Staff, midday: list[Staff],
                      mediators: list[Pupil]) -> None:
    """Four weeks of lunchtimes before today, through the same rules the screens use: quick chats
    (three pupils again and again), restorative conversations whose agreements are due for review,
    kept or not kept, and three peer mediations (one with no agreement, still to follow up) - so the
    school overview, reviews due, the mediation lead's page and pupils' records have something to show."""
    from rrp_pwa.agreements.rules import review_agreement
    from rrp_pwa.conversations.chats import DEFAULT_CHIPS, record_quick_chat
    from rrp_pwa.conversations.restorative import finish, start_conversation
    from rrp_pwa.mediation.flow import record_mediation

    today = school.today()
    days = school_days_before(today, 20)
    pupils = [p for p in db.session.scalars(select(Pupil).where(Pupil.school_id == school.id).order_by(Pupil.id))
              if not p.peer_mediator]
    juniors = [p for p in pupils if p.year_group in ("Year 3", "Year 4", "Year 5", "Year 6")]
    regulars, others = juniors[:3], juniors[3:]

    def lunchtime(day: date) -> datetime:
        local = datetime.combine(day, time(12, rng.randrange(10, 55)), tzinfo=school.zone)
        return local.astimezone(timezone.utc)

    for n, day in enumerate(days):
        who = [regulars[n % 3]] if n % 2 == 0 else rng.sample(others, rng.choice((1, 2)))
        record_quick_chat(school.id, rng.choice(midday), who, rng.choice(DEFAULT_CHIPS["what"]),
                          rng.choice(DEFAULT_CHIPS["where"]), rng.choice((None, *DEFAULT_CHIPS["agreed"])),
                          happened_at=lunchtime(day))
    for n, (day, outcome) in enumerate(zip((days[2], days[8], days[14]), ("kept", "not_kept", None))):
        conversation = start_conversation(school.id, lead, "conversation",
                                          [(regulars[n], "harmed"), (others[10 + n], "caused_harm")],
                                          summary="Falling out over a game at lunchtime.")
        db.session.add(conversation)
        db.session.flush()
        agreement = finish(conversation, lead, "Play fairly and ask a midday assistant for help if a game goes wrong.",
                           [p.id for p in conversation.participants], review_on=day + timedelta(days=7), today=day)
        conversation.happened_at = conversation.completed_at = agreement.created_at = lunchtime(day)
        if outcome:
            review_agreement(agreement, outcome, None, lead, today=day + timedelta(days=7)).reviewed_at = \
                lunchtime(day + timedelta(days=7))
    for day in (days[5], days[16]):
        first, second = rng.sample(others, 2)
        record_mediation(school.id, rng.sample(list(mediators), 2), [first, second],
                                     agreements={first.id: "I will let them join the game.",
                                                 second.id: "I will ask nicely to join."},
                                     place="Playground", started_at=lunchtime(day),
                                     completed_at=lunchtime(day) + timedelta(minutes=15))
    first, second = rng.sample(others, 2)  # one with no agreement, reviewed and still to follow up
    stuck = record_mediation(school.id, rng.sample(list(mediators), 2), [first, second], agreements={},
                             outcome="no_agreement", place="Playground", started_at=lunchtime(days[11]),
                             completed_at=lunchtime(days[11]) + timedelta(minutes=20))
    stuck.reviewed_at, stuck.reviewed_by_id = stuck.completed_at + timedelta(hours=2), lead.id
    db.session.flush()
