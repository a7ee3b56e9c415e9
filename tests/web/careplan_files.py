"""Standard care plan exports for the browser tests: the 第6表・第7表・補足
send unit in version 4.1 layout (Shift_JIS, CRLF), named as the care
software names them, and a broken variant (a 5-digit insurer number)."""
import os


def _row(n, **cols):
    f = ['"備考"'] * n
    f[0], f[1], f[2] = "202407", "131001", "0000012345"
    for k, v in cols.items():
        f[int(k[1:]) - 1] = v
    return (",".join(f) + "\r\n").encode("cp932")


def unit_files(sender, recipient, stamp="20261121093000", broken=False):
    """{name: bytes} of one send unit from SENDER to RECIPIENT."""
    tail = f"{sender}_43_{recipient}_11_{stamp}.CSV"
    plan = _row(25, c10="20261201", c15="111111", c20=recipient)
    plan += _row(25, c2="13100" if broken else "131001", c10="20261208", c15="111111", c20=recipient)
    return {
        f"UPPLAN_202612_{tail}": plan,
        f"UPSIKYU_202612_{tail}": _row(37) + _row(37),
        f"UPHOSOKU_202612_{tail}": _row(63),
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
