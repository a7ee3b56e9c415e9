"""Standard care plan exports for the browser tests: the 第6表・第7表・補足
send unit in version 4.1 layout (Shift_JIS, CRLF), named as the care
software names them, and a broken variant (a 5-digit insurer number).

The content follows the layouts of schema/careplan_rules.yaml the way the
C++ test corpus (tests/support/careplan_corpus.cc) does: every column a
layout gives a format holds a plausible value of that format (dates in the
month, real service codes, times, office numbers), the layout's required
rows (第7表's grand total) come last, and the rest hold short text."""
import os

import yaml

RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schema", "careplan_rules.yaml")
VERSION = "202407"
TEXT = '"備考、テキスト"'

_rules = None


def _kind(prefix):
    global _rules
    if _rules is None:
        with open(RULES, encoding="utf-8") as f:
            _rules = yaml.safe_load(f)
    for k in _rules["kinds"]:
        if k["prefix"] == prefix:
            return k
    raise KeyError(prefix)


def _applies(rule, month):
    when = rule.get("when", "always")
    zero = month == "000000"
    return when == "always" or (when == "monthly" and not zero) or (when == "zero_month" and zero)


def _plausible(rule, prefix, month, sender, recipient):
    m = "202612" if month == "000000" else month
    fmt, example = rule.get("format", "any"), str(rule.get("example", ""))
    name_month = rule.get("equals") == "name_month"
    if fmt == "date":
        return m + ("15" if name_month else "01")
    if fmt == "month":
        return month if name_month else m
    if fmt == "time":
        return example or "0930"
    if fmt == "digits":
        return example or ("1" * int(rule["length"]) if rule.get("length") else "1")
    if fmt == "office":  # the provider: the sender of actuals, the recipient of a plan
        return sender if "JSK" in prefix else recipient
    if fmt == "code":
        if not example:
            raise ValueError(f"{prefix} column {rule['column']}: code field without an example")
        return example
    if fmt == "enum":
        return str(rule["values"][0])
    return example or TEXT


def _record(prefix, month, sender, recipient, row=None, over=None):
    layout = _kind(prefix).get("layouts", {}).get(VERSION, {})
    f = [TEXT] * int(layout.get("columns", 12))
    f[0], f[1], f[2] = VERSION, "131001", "0000012345"
    for r in layout.get("fields", []):
        if _applies(r, month):
            f[r["column"] - 1] = _plausible(r, prefix, month, sender, recipient)
    if row is not None:
        r = layout["rows"][row]
        f[r["column"] - 1] = str(r["value"])
        for column, value in r.get("with", {}).items():
            f[int(column) - 1] = str(value)
    for column, value in (over or {}).items():
        f[column - 1] = value
    return (",".join(f) + "\r\n").encode("cp932")


def _file(prefix, month, sender, recipient, records=2, over=None):
    """RECORDS records of PREFIX, the last ones being the layout's required rows;
    OVER (column -> value) is applied to the first record."""
    rows = _kind(prefix).get("layouts", {}).get(VERSION, {}).get("rows", [])
    plain = max(records - len(rows), 1)
    out = b"".join(_record(prefix, month, sender, recipient, over=over if i == 0 else None) for i in range(plain))
    return out + b"".join(_record(prefix, month, sender, recipient, row=i) for i in range(len(rows)))


def unit_files(sender, recipient, stamp="20261121093000", broken=False):
    """{name: bytes} of one send unit from SENDER to RECIPIENT."""
    month = "202612"
    tail = f"{sender}_43_{recipient}_11_{stamp}.CSV"
    plan = _file("UPPLAN", month, sender, recipient, records=1)
    plan += _file("UPPLAN", month, sender, recipient, records=1, over={2: "13100"} if broken else None)
    return {
        f"UPPLAN_{month}_{tail}": plan,
        f"UPSIKYU_{month}_{tail}": _file("UPSIKYU", month, sender, recipient, records=3),
        f"UPHOSOKU_{month}_{tail}": _file("UPHOSOKU", month, sender, recipient, records=1),
    }


def pdf(size=20000):
    return b"%PDF-1.7\n" + os.urandom(size)


def write(folder, files):
    """Writes {name: bytes} into FOLDER; returns the paths."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for name, data in files.items():
        p = os.path.join(folder, name)
        with open(p, "wb") as f:
            f.write(data)
        paths.append(p)
    return paths
