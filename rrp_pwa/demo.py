"""The demo school: realistic enough to try every screen, made from a fixed seed."""
import random

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
    return school, [head, pastoral, dsl, *midday, *teachers]
