"""Mail goes only where the partner said: which contact person a referral's mail goes to."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from enrolment.adapters.config import load_policy
from enrolment.domain import model

PROMEN = model.Partner(
    id="promen",
    name="Promen",
    amqp_user="promen",
    municipalities=frozenset({"gouda"}),
    courses=frozenset({"klik-en-tik"}),
    contacts=(
        model.Contact("Sanne de Wit", "sanne.dewit@promen.example"),
        model.Contact("Jan Jansen", "jan.jansen@promen.example"),
    ),
    contact_domains=frozenset({"promen.nl"}),
)
SANNE, JAN = PROMEN.contacts
SANNE_YAML = "id: promen, name: Promen, contacts: [{name: S, email: s@promen.nl}]"


def test_a_configured_contact_is_used_as_configured() -> None:
    choice = model.choose_contact(PROMEN, model.Contact("J. Jansen", "Jan.Jansen@PROMEN.example"))
    assert choice == model.ContactChoice(JAN, replaced=False)


def test_an_address_in_a_configured_domain_is_used_as_named() -> None:
    named = model.Contact("Piet Bakker", "piet.bakker@Promen.nl")
    assert model.choose_contact(PROMEN, named) == model.ContactChoice(named, replaced=False)


@pytest.mark.parametrize(
    "address",
    [
        "sanne.dewit@gmail.example",  # a private address
        "sanne.dewit@mail.promen.nl",  # a subdomain is not the domain
        "sanne.dewit@promen.nl.example",  # nor is a domain that only starts with it
        "promen.nl@evil.example",  # the domain is what follows the last @
        "sanne.dewit@promen.example.org",
    ],
)
def test_any_other_address_is_replaced_by_the_first_configured_contact(address: str) -> None:
    choice = model.choose_contact(PROMEN, model.Contact("Sanne de Wit", address))
    assert choice == model.ContactChoice(SANNE, replaced=True)


def test_a_partner_without_contacts_cannot_exist() -> None:
    with pytest.raises(ValueError, match="contact"):
        model.Partner("x", "X", "x", frozenset(), frozenset(), contacts=())


def write(tmp_path: Path, partner: str) -> Path:
    path = tmp_path / "enrolment.yaml"
    courses = "courses: [{type: klik-en-tik, levels: 3}]\ndefault_municipalities: [Gouda]\n"
    path.write_text(f"{courses}partners: [{partner}]\n")
    return path


def test_the_enrolment_file_gives_contacts_and_domains(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "{id: promen, name: Promen, contacts: [{name: ' Sanne de Wit ', email: sanne@promen.example}],"
        " contact_domains: [' Promen.NL ']}",
    )
    partner = load_policy(path).partners["promen"]
    assert partner.contacts == (model.Contact("Sanne de Wit", "sanne@promen.example"),)
    assert partner.contact_domains == frozenset({"promen.nl"})


@pytest.mark.parametrize(
    ("partner", "field"),
    [
        ("{id: promen, name: Promen}", "contacts"),
        ("{id: promen, name: Promen, contacts: []}", "contacts"),
        ("{id: promen, name: Promen, contacts: [{name: Sanne, email: geen-adres}]}", "email"),
        (f"{{{SANNE_YAML}, contact_domains: ['@promen.nl']}}", "contact_domains"),
        (f"{{{SANNE_YAML}, contact_domains: [promen]}}", "contact_domains"),
    ],
)
def test_a_partner_without_a_valid_contact_stops_the_service(
    tmp_path: Path, partner: str, field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        load_policy(write(tmp_path, partner))


@pytest.mark.parametrize(
    "path", ["services/enrolment/enrolment/enrolment.yaml", "deploy/local/enrolment.yaml"]
)
def test_the_demo_referrals_name_a_contact_the_shipped_files_configure(path: str) -> None:
    root = Path(__file__).resolve().parents[3]
    promen = load_policy(root / path).partners["promen"]
    demo = yaml.safe_load((root / "deploy/demo/referrals-promen.yaml").read_text(encoding="utf-8"))
    named = {(r["contact"]["name"], r["contact"]["email"]) for r in demo}
    assert named and all(not model.choose_contact(promen, model.Contact(*n)).replaced for n in named)
