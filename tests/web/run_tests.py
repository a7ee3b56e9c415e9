"""Runs every browser scenario (scenarios.ALL) against one real exchange:
a broker, offices さくら (A) and ひまわり (B) with their screens open in
two headless Chromiums, and four more offices for 一括送信. Prints one
line per scenario and then `N passed, M failed`; exit status 1 on any
failure."""
import os
import sys
import time
import traceback

import harness
import scenarios


class Context:
    pass


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    only = sys.argv[2:]
    passed = failed = 0
    ex = harness.Exchange(build)
    ctx = Context()
    ctx.dir = ex.dir
    ctx.a = ctx.b = None
    tests = [t for t in scenarios.ALL if not only or t.__name__ in only]
    try:
        ex.start()
        ctx.A = ex.add_office(scenarios.A, "居宅介護支援事業所さくら")
        # A's care software hands its exports over through a folder.
        ctx.export_dir = os.path.join(ex.dir, "kaigo-export")
        os.makedirs(ctx.export_dir)
        with open(os.path.join(ctx.A.home, "agent.yaml"), "a") as f:
            f.write(f"handoff:\n  export_dir: {ctx.export_dir}\n  quiet_s: 1\n  unit_wait_s: 5\n")
        ctx.B = ex.add_office(scenarios.B, "訪問介護ひまわり", "careplan-delegated")
        for number, name in scenarios.MORE:
            ex.add_office(number, name)
        ctx.a, ctx.b = harness.browser(), harness.browser()
        ctx.a.get(ctx.A.serve())
        ctx.b.get(ctx.B.serve())
    except Exception:
        traceback.print_exc()
        for d in (ctx.a, ctx.b):
            if d:
                d.quit()
        ex.stop(keep=True)
        print("setup failed; see", ex.dir)
        print(f"0 passed, {len(tests)} failed")
        return 1
    for t in tests:
        start = time.time()
        try:
            t(ctx)
            passed += 1
            print(f"PASS {t.__name__} ({time.time() - start:.1f}s)", flush=True)
        except Exception as e:
            failed += 1
            print(f"FAIL {t.__name__}: {e}", flush=True)
            traceback.print_exc()
            for d, who in ((ctx.a, "a"), (ctx.b, "b")):
                try:
                    d.save_screenshot(os.path.join(ex.dir, f"fail-{t.__name__}-{who}.png"))
                    for line in d.get_log("browser"):
                        print(f"  [{who} console] {line['level']}: {line['message'][:300]}")
                except Exception:
                    pass
    for d in (ctx.a, ctx.b):
        if d:
            d.quit()
    ex.stop(keep=failed > 0)
    if failed:
        print("logs and screenshots of failures kept in", ex.dir)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
