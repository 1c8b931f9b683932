"""The tree and role queries of storage.org_queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from storage import org_queries as q
from storage.db import Database
from tests.imports.helpers import ORG_TEXT, ok, run_org


async def test_tree_walks(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    async with db.session() as session:
        assert [u.id for u in await q.unit_ancestors(session, unit_id="team-blast")] == [
            "team-blast",
            "proj-pulang",
            "branch-sw",
        ]
        assert await q.unit_ancestors(session, unit_id="nope") == []
        assert await q.unit_descendants(session, unit_id="proj-pulang") == [
            "proj-pulang",
            "team-blast",
            "team-drill",
            "team-haul",
        ]
        assert len(await q.unit_descendants(session, unit_id="branch-sw")) == 7
        assert await q.unit_descendants(session, unit_id="nope") == []


async def test_people_and_roles(db: Database) -> None:
    ok(await run_org(db, ORG_TEXT))
    async with db.session() as session:
        blast = await q.people_in_units(session, unit_ids=["team-blast"])
        assert [p.employee_no for p in blast] == ["E1000", "E1001", "E1002", "E1003"]
        leader = blast[0]
        assert leader.id is not None
        assert sorted(a.role for a in await q.roles_of(session, person_id=leader.id)) == [
            "staff",
            "team_leader",
        ]
        found = await q.people_by_employee_no(session, employee_nos=["E1001", "M0001", "ghost"])
        assert set(found) == {"E1001", "M0001"}
        # nearest holders: the team's own leader, the project's officers, the branch manager above the team
        nearest = await q.nearest_role_holders(session, unit_id="team-blast", role="team_leader")
        assert [p.employee_no for p in nearest] == ["E1000"]
        officers = await q.nearest_role_holders(session, unit_id="team-blast", role="safety_officer")
        assert [p.employee_no for p in officers] == ["S0001", "S0002"]
        managers = await q.nearest_role_holders(session, unit_id="team-mill", role="manager")
        assert [p.employee_no for p in managers] == ["M0201"]
        assert await q.nearest_role_holders(session, unit_id="branch-sw", role="team_leader") == []
        # replace_roles changes only what differs
        assert await q.replace_roles(session, person_id=leader.id, roles=[("staff", "team-blast")]) is True
        assert await q.replace_roles(session, person_id=leader.id, roles=[("staff", "team-blast")]) is False
        assert [a.role for a in await q.roles_of(session, person_id=leader.id)] == ["staff"]
        # inactive people are no role holders and are left out of people_in_units by default
        leader.active = False
        await session.flush()
        assert await q.nearest_role_holders(session, unit_id="team-blast", role="staff") != []
        assert "E1000" not in [
            p.employee_no for p in await q.people_in_units(session, unit_ids=["team-blast"])
        ]
        everyone = await q.people_in_units(session, unit_ids=["team-blast"], active_only=False)
        assert "E1000" in [p.employee_no for p in everyone]
        holders = await q.role_holders(session, unit_ids=["team-blast"], role="staff")
        assert "E1000" not in [p.employee_no for p, _ in holders]
