"""The solve, in a child process: a problem document on stdin, one JSON object on stdout.

`python -m rempart.mes.planboard.solve_child` reads `{"problem": {...}, "time_limit_s": S,
"threads": N}` and prints `{"plan": Plan.to_dict()}` or `{"error": "one line"}` (exit 1).
It imports no Django: a HiGHS crash or a long solve never takes the web server with it.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    try:
        from rempart.planning.io import ProblemFormatError, problem_from_dict
        from rempart.planning.solve import SolveOptions, solve

        request = json.loads(sys.stdin.read())
        problem = problem_from_dict(request["problem"])
        options = SolveOptions(
            time_limit_s=float(request.get("time_limit_s", 30.0)),
            threads=int(request.get("threads", 1)),
            mip_rel_gap=float(request.get("mip_rel_gap", 1e-4)),
        )
        plan = solve(problem, options)
    except ProblemFormatError as exc:
        print(json.dumps({"error": f"the problem is not valid: {exc}"}))
        return 1
    except Exception as exc:  # one line for the page; the child's traceback is not shown
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    print(json.dumps({"plan": plan.to_dict()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
