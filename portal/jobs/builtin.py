"""A self-test job: lets an administrator check that the queue, the worker and shared storage work."""
import time

from portal.auth import roles
from portal.jobs.registry import JobResult, job_handler


@job_handler("system.selftest", roles=(roles.ADMIN,), label="背景工作自我檢查")
def selftest(job, params, progress):
    steps = max(1, min(int(params.get("seconds", 3)), 600))
    for i in range(steps):
        time.sleep(float(params.get("step_seconds", 1)))
        progress((i + 1) * 100 // steps, f"第 {i + 1}／{steps} 步")
    text = f"背景工作正常。工作編號 {job.id}，共 {steps} 步，第 {job.attempts} 次執行。\n"
    return JobResult("selftest.txt", "text/plain; charset=utf-8", data=text.encode("utf-8"))
