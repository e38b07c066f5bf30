"""Admins keep the public registers credentials are checked in; each credential an admin reads
shows the most specific register covering it (its region before its country, its licence type
before any type), or none. Only admins may change the list; a register is https only."""

from __future__ import annotations

from typing import Any

from tests.booking.support import Caller, Client, application, apply, get_json, problem

NY = "https://www.op.nysed.gov/verification-search"
US_ANY = "https://www.example-registry.org/us"
ORDER = ("LMFT", "ICF Professional Certified Coach", "HCPC Practitioner Psychologist")


async def put(client: Client, who: Caller, **body: Any) -> Any:
    return await client.put("/api/admin/registers", json=body, headers=who.headers)


async def shown(client: Client, admin: Caller, application_id: str) -> list[Any]:
    """The registers of the credentials, in the order they were submitted (LMFT, ICF, HCPC)."""
    detail = await get_json(client, f"/api/admin/applications/{application_id}", admin)
    by_type = {c["license_type"]: c["public_register"] for c in detail["credentials"]}
    return [by_type[kind] for kind in ORDER]


async def test_each_credential_shows_the_register_that_covers_it(
    client: Client, admin: Caller, coach: Caller
) -> None:
    credentials = [
        {
            "license_type": "LMFT",
            "license_number": "LMFT-00123",
            "issuing_country": "US",
            "issuing_region": "US-NY",
            "expires_on": "2028-06-30",
        },
        {
            "license_type": "ICF Professional Certified Coach",
            "license_number": "ICF-123456",
            "issuing_country": "US",
            "expires_on": "2028-06-30",
        },
        {
            "license_type": "HCPC Practitioner Psychologist",
            "license_number": "PYL-0001",
            "issuing_country": "GB",
            "expires_on": "2028-06-30",
        },
    ]
    submitted = await apply(client, coach, **{**application(), "credentials": credentials})
    assert await shown(client, admin, submitted["id"]) == [None, None, None]

    country = await put(client, admin, issuing_country="US", name="US registers", url=US_ANY)
    assert country.status == 200, await country.text()
    assert await shown(client, admin, submitted["id"]) == [
        {"name": "US registers", "url": US_ANY},
        {"name": "US registers", "url": US_ANY},
        None,
    ]
    # The region's register for that licence type comes first; the licence type is matched
    # without case or extra spaces.
    ny = await put(
        client,
        admin,
        issuing_country="US",
        issuing_region="US-NY",
        license_type="  lmft ",
        name="NYSED Office of the Professions",
        url=NY,
    )
    assert (await ny.json())["license_type"] == "lmft"
    assert (await shown(client, admin, submitted["id"]))[0] == {
        "name": "NYSED Office of the Professions",
        "url": NY,
    }
    # Set again: replaced, not doubled.
    again = await put(
        client,
        admin,
        issuing_country="US",
        issuing_region="US-NY",
        license_type="LMFT",
        name="NYSED license verification",
        url=NY,
    )
    assert (await again.json())["id"] == (await ny.json())["id"]
    listed = await get_json(client, "/api/admin/registers", admin)
    assert [(r["issuing_region"], r["license_type"], r["name"]) for r in listed["items"]] == [
        ("", "", "US registers"),
        ("US-NY", "lmft", "NYSED license verification"),
    ]
    # Removed: the credential falls back to the country's register.
    gone = await client.delete(
        f"/api/admin/registers/{(await ny.json())['id']}", headers=admin.headers
    )
    assert gone.status == 204
    assert (await shown(client, admin, submitted["id"]))[0] == {
        "name": "US registers",
        "url": US_ANY,
    }
    missing = await client.delete(
        f"/api/admin/registers/{(await ny.json())['id']}", headers=admin.headers
    )
    assert (await problem(missing, 404))["code"] == "not_found"


async def test_only_admins_set_registers_and_only_https_ones(
    client: Client, admin: Caller, coach: Caller
) -> None:
    body = {"issuing_country": "US", "name": "US registers", "url": US_ANY}
    assert (await put(client, coach, **body)).status == 403
    assert (await client.get("/api/admin/registers", headers=coach.headers)).status == 403
    plain = await put(client, admin, **{**body, "url": "http://registry.example.org/"})
    assert (await problem(plain, 422))["code"] == "validation_failed"
    lower = await put(client, admin, **{**body, "issuing_country": "us"})
    assert lower.status == 422
    assert (await get_json(client, "/api/admin/registers", admin))["items"] == []
