"""Helpers for the export-job tests: start a job through its page route, run it synchronously, read xlsx."""
import io
import re
import zipfile
from xml.etree import ElementTree

from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.operations import run_job, storage_dir

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


class SyncJobs:
    """Replaces the engine: jobs are recorded by the route, then run here, in the test's thread."""

    def __init__(self, monkeypatch):
        self.dispatched = []
        monkeypatch.setattr("portal.jobs.operations.dispatch", lambda job_id, app=None: self.dispatched.append(job_id))

    def start(self, client, kind, data):
        """POST /jobs/start/<kind>; return (response, job or None). Runs the job it queued, if any."""
        before = len(self.dispatched)
        response = client.post(f"/jobs/start/{kind}", data=data)
        if len(self.dispatched) == before:
            return response, None
        job_id = self.dispatched[-1]
        run_job(job_id)
        db.session.expire_all()
        return response, db.session.get(Job, job_id)


def result_bytes(job) -> bytes:
    assert job.state == "done", job.error
    return (storage_dir() / job.result_path).read_bytes()


def xlsx_sheets(data: bytes) -> dict:
    """{sheet name: [[cell text, …], …]} of an xlsx written by portal.billing.xlsx (inline strings)."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        workbook = ElementTree.fromstring(z.read("xl/workbook.xml"))
        names = [s.get("name") for s in workbook.iter(f"{{{NS['m']}}}sheet")]
        for i, name in enumerate(names, start=1):
            root = ElementTree.fromstring(z.read(f"xl/worksheets/sheet{i}.xml"))
            rows = []
            for row in root.iter(f"{{{NS['m']}}}row"):
                cells = {}
                for cell in row.findall("m:c", NS):
                    column = re.match(r"[A-Z]+", cell.get("r")).group(0)
                    index = 0
                    for ch in column:
                        index = index * 26 + ord(ch) - 64
                    text = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
                    value = cell.find("m:v", NS)
                    cells[index - 1] = text if value is None else value.text
                rows.append([cells.get(c, "") for c in range(max(cells) + 1)] if cells else [])
            out[name] = rows
    return out


def flat(rows) -> str:
    return "\n".join("\t".join(str(c) for c in row) for row in rows)
