#!/usr/bin/env python3
"""Confirmed figures for the portal benchmark (scripts/bench-portal.sh), through the console's
JSON API as its users would enter them: the RO accepts every station's Form-45 capture, then two
operators each claim and submit a blind entry of the same figures, which confirms them.

    bench-portal-figures.py BASE ELECTION CODE DRAFT_JSON STATION_CSV RO_PASSWORD OP1_PASSWORD OP2_PASSWORD

The accounts `bench-ro`, `bench-op1` and `bench-op2` must exist (`tallyseal user add`). The
figures are the station's 2024 votes from the Form-45 CSV for the first candidates of the ballot
(the CSV has only the leading candidates), zero for the others, with registered voters and votes
polled by gender that fit the station's type, so the Form-45 rules and the quarantine checks pass.
Standard library only.
"""

import csv
import http.cookiejar
import json
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid


class Console:
    """One signed-in console user: a cookie jar and the session's anti-forgery token."""

    def __init__(self, base, login, password):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.opener.open(f"{base}/console/login").read().decode()
        nonce = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf": nonce, "login": login, "password": password})
        req = urllib.request.Request(
            f"{base}/console/login", data=form.encode(), headers={"Origin": base}
        )
        self.opener.open(req).read()
        session = json.load(self.opener.open(f"{base}/api/v1/console/session"))
        self.csrf = session["csrf_token"]

    def call(self, method, path, body=None):
        req = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Origin": self.base,
                "X-CSRF-Token": self.csrf,
                "Content-Type": "application/json",
            },
        )
        try:
            with self.opener.open(req) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path}: {e.code} {e.read().decode()[:300]}")


def figures(station, candidates, votes):
    """Form-45 fields for `station` (package entry) with `votes` for the leading candidates."""
    valid = [0] * len(candidates)
    for i, v in enumerate(votes[: len(candidates)]):
        valid[i] = v
    total_valid = sum(valid)
    rejected = total_valid // 50
    polled = total_valid + rejected
    kind = station["station_type"]
    if kind == "male":
        pm, pf = polled, 0
    elif kind == "female":
        pm, pf = 0, polled
    else:
        pm = polled // 2
        pf = polled - pm
    f = {
        "registered_male": pm * 2 if kind != "female" else 0,
        "registered_female": pf * 2 if kind != "male" else 0,
        "registered_transgender": 0,
        "polled_male": pm,
        "polled_female": pf,
        "polled_transgender": 0,
        "total_valid": total_valid,
        "rejected": rejected,
        "total_polled": polled,
    }
    if kind == "combined":
        f["registered_male"] = max(f["registered_male"], 1)
        f["registered_female"] = max(f["registered_female"], 1)
    for c, v in zip(candidates, valid):
        f[f"candidate_{c['ballot_no']}"] = v
    return f


def main():
    base, election, code, draft, station_csv, ro_pw, op1_pw, op2_pw = sys.argv[1:9]
    package = json.load(open(draft))
    seat = next(c for c in package["constituencies"] if c["code"] == code)
    stations = {s["number"]: s for s in seat["stations"]}
    votes = {}
    with open(station_csv, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        parties = [i for i, h in enumerate(header) if h not in ("No", "Name", "Total Votes", "Filename")]
        for row in reader:
            votes[int(row[0])] = [int(row[i] or 0) for i in parties]

    ro = Console(base, "bench-ro", ro_pw)
    ops = [Console(base, "bench-op1", op1_pw), Console(base, "bench-op2", op2_pw)]
    root = f"/api/v1/console/{election}/{code}"
    board = ro.call("GET", f"{root}/board?form=form45")
    confirmed = 0
    for s in board["stations"]:
        form = next(f for f in s["forms"] if f["form"] == "form45")
        if not form["pages"]:
            continue
        capture = form["pages"][0]["manifest_hash"]
        if form["pages"][0].get("decision") is None:
            ro.call(
                "POST",
                f"{root}/captures/{capture}/decisions",
                {"decision_id": str(uuid.uuid4()), "action": "accept", "reason": "", "supersedes": None},
            )
        entry = figures(stations[s["station"]], seat["candidates"], votes.get(s["station"], []))
        for slot, op in enumerate(ops, start=1):
            meta = {"id": secrets.token_hex(16), "origin": "bench"}
            claim = op.call("POST", f"{root}/figures/entries/{capture}/{slot}/claim", meta)
            op.call(
                "POST",
                f"{root}/figures/entries/{capture}/{slot}/submit",
                {"id": secrets.token_hex(16), "origin": "bench", "version": claim["version"], "figures": entry},
            )
        confirmed += 1
    print(f"figures entered twice for {confirmed} stations", file=sys.stderr)


if __name__ == "__main__":
    main()
