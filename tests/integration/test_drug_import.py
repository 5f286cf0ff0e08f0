"""Loading the pharmacy's files (`flask drugs import`, docs/drugs.md): upsert
by code or pair, rejected lines named with their number and reason, and
nothing at all imported when the file itself is wrong."""

import pytest

from app.core.actor import SYSTEM
from app.core.extensions import db
from app.demo.prescribing import DEMO_INTERACTIONS, DEMO_MEDICATIONS
from app.prescribing import drug_import
from app.prescribing.drug_import import ImportFailed, import_interactions, import_medications

HEADER = "code,name,substances,atc_code,form,strength,route,is_narcotic,needs_secure_prescription,is_active\n"
GOOD = (
    "60234100,Amoxicilline 1 g,amoxicillin,J01CA04,tablet,1 g,oral,no,no,yes\n"
    '"61266250","Augmentin 1 g/125 mg","Amoxicillin + Acide Clavulanique",j01cr02,sachet,,oral,,,\n'
    "MORPH-10,Morphine 10 mg,morphine,N02AA01,tablet,10 mg,oral,oui,,\n"
)


def write(tmp_path, text: str, name: str = "drugs.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def medications(conn):
    return {
        code: rest
        for code, *rest in conn.execute(
            "SELECT code, name, substances, atc_code, is_narcotic, needs_secure_prescription, is_active"
            " FROM medications"
        ).fetchall()
    }


def run(app, importer, path, **options):
    with app.app_context():
        return importer(db.session, SYSTEM, path, **options)


def test_good_lines_are_added_then_unchanged_then_updated(app, sql_conn, tmp_path):
    report = run(app, import_medications, write(tmp_path, HEADER + GOOD))
    assert (report.added, report.updated, report.unchanged, report.rejected) == (3, 0, 0, [])
    stored = medications(sql_conn)
    assert stored["61266250"] == [
        "Augmentin 1 g/125 mg",
        ["amoxicillin", "acide clavulanique"],
        "J01CR02",
        False,
        False,
        True,
    ]
    assert stored["MORPH-10"][3:5] == [True, True]  # a narcotic always needs the secure form
    report = run(app, import_medications, write(tmp_path, HEADER + GOOD))
    assert (report.added, report.updated, report.unchanged) == (0, 0, 3)
    changed = GOOD.replace("Amoxicilline 1 g,", "Amoxicilline 1 g (Biogaran),").replace(",yes\n", ",no\n", 1)
    report = run(app, import_medications, write(tmp_path, HEADER + changed))
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert medications(sql_conn)["60234100"][0] == "Amoxicilline 1 g (Biogaran)"
    assert medications(sql_conn)["60234100"][5] is False  # withdrawn: is_active no


def test_bad_lines_are_reported_with_their_number_and_the_good_ones_imported(app, sql_conn, tmp_path):
    text = (
        HEADER
        + "60234100,Amoxicilline 1 g,amoxicillin,J01CA04,tablet,1 g,oral,no,no,yes\n"  # line 2: good
        + "bad code!,Something,x,,,,,,,\n"  # 3
        + "70000001,No substance,,,,,,,,\n"  # 4
        + "70000002,Bad ATC,paracetamol,N02B1,,,,,,\n"  # 5
        + "70000003,Bad flag,paracetamol,N02BE01,,,,maybe,,\n"  # 6
        + "70000004,Too few fields,paracetamol\n"  # 7
        + "\n"  # 8: blank, skipped
        + "60234100,Same code again,amoxicillin,,,,,,,\n"  # 9
        + "70000005,Paracetamol 1 g,paracetamol,N02BE01,tablet,1 g,oral,no,no,yes\n"  # 10: good
    )
    report = run(app, import_medications, write(tmp_path, text))
    assert report.added == 2
    assert [line for line, _ in report.rejected] == [3, 4, 5, 6, 7, 9]
    reasons = dict(report.rejected)
    assert "code 'bad code!'" in reasons[3]
    assert "substances" in reasons[4]
    assert "atc_code 'N02B1'" in reasons[5]
    assert "is_narcotic 'maybe'" in reasons[6]
    assert "3 field(s), the header has 10" in reasons[7]
    assert "same medication as line 2" in reasons[9]
    assert set(medications(sql_conn)) == {"60234100", "70000005"}


def test_a_line_the_database_refuses_is_rejected_with_its_message(app, sql_conn, tmp_path, monkeypatch):
    """Lines are checked in Python first; should one get past, the database's
    constraint still refuses it, named, and the rest of its batch is kept."""
    monkeypatch.setattr(drug_import, "CODE", drug_import.re.compile(".*"))
    text = HEADER + GOOD + "has spaces,Bad,paracetamol,,,,,,,\n"
    report = run(app, import_medications, write(tmp_path, text))
    assert report.added == 3
    assert report.rejected == [(5, "Code: letters, digits, dots, dashes, 20 characters at most (e.g. a CIS code).")]
    assert "has spaces" not in medications(sql_conn)


@pytest.mark.parametrize(
    "content, encoding, reason",
    [
        ("name,code,substance\n" + GOOD, "utf-8", "missing column(s): substances"),
        (HEADER.replace("atc_code", "atc") + GOOD, "utf-8", "unknown column(s): atc"),
        (HEADER.strip() + ",code\n" + GOOD, "utf-8", "repeated column(s): code"),
        ("", "utf-8", "the file is empty"),
        (HEADER + GOOD + "60234101,Amoxicilline forte à 1 g,amoxicillin,,,,,,,\n", "latin-1", "not UTF-8"),
    ],
    ids=["missing column", "unknown column", "repeated column", "empty", "not UTF-8"],
)
def test_a_wrong_file_imports_nothing(app, sql_conn, tmp_path, content, encoding, reason):
    """Not even its good lines."""
    with pytest.raises(ImportFailed) as failed:
        run(app, import_medications, write(tmp_path, content, encoding=encoding))
    assert reason in str(failed.value)
    assert medications(sql_conn) == {}


def test_a_missing_file_is_a_fatal_error_and_the_cli_exits_1(app, sql_conn, tmp_path):
    result = app.test_cli_runner().invoke(args=["drugs", "import", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 1 and "Nothing imported: cannot read" in result.output
    result = app.test_cli_runner().invoke(args=["drugs", "import", str(write(tmp_path, HEADER + GOOD))])
    assert result.exit_code == 0 and "3 added" in result.output
    assert len(medications(sql_conn)) == 3


def test_the_cli_lists_rejected_lines_and_a_dry_run_saves_nothing(app, sql_conn, tmp_path):
    path = write(tmp_path, HEADER + GOOD + "x y,Bad,paracetamol,,,,,,,\n")
    result = app.test_cli_runner().invoke(args=["drugs", "import", "--dry-run", str(path)])
    assert result.exit_code == 0
    assert "line 5: code 'x y'" in result.output and "3 added" in result.output and "nothing saved" in result.output
    assert medications(sql_conn) == {}


INTERACTIONS_HEADER = "a,b,severity,message,source\n"


def interactions(conn):
    return conn.execute(
        "SELECT a_kind, a_value, b_kind, b_value, severity, message FROM drug_interactions ORDER BY id"
    ).fetchall()


def test_interactions_are_upserted_by_pair_in_either_order(app, sql_conn, tmp_path):
    text = (
        INTERACTIONS_HEADER
        + "Warfarin,M01A,avoid,Bleeding risk.,ANSM\natc:N06AF,substance:Sertraline,contraindicated,Serotonin,\n"
    )
    report = run(app, import_interactions, write(tmp_path, text))
    assert (report.added, report.rejected) == (2, [])
    assert interactions(sql_conn) == [
        ("atc", "M01A", "substance", "warfarin", "avoid", "Bleeding risk."),
        ("atc", "N06AF", "substance", "sertraline", "contraindicated", "Serotonin"),
    ]
    reversed_pair = INTERACTIONS_HEADER + "m01a,warfarin,contraindicated,Bleeding risk (updated).,ANSM\n"
    report = run(app, import_interactions, write(tmp_path, reversed_pair))
    assert (report.added, report.updated) == (0, 1)
    assert interactions(sql_conn)[0][4:] == ("contraindicated", "Bleeding risk (updated).")


def test_bad_interaction_lines_are_rejected(app, sql_conn, tmp_path):
    text = (
        INTERACTIONS_HEADER
        + "warfarin,aspirin,severe,Bleeding,\n"  # 2: unknown severity
        + "warfarin,Warfarin,avoid,Itself,\n"  # 3: a pair with itself
        + "atc:J1,warfarin,avoid,Bad class,\n"  # 4: not an ATC code
        + "warfarin,aspirin,avoid,,\n"  # 5: no message
        + "aspirin,warfarin,avoid,Bleeding,\n"  # 6: good
        + "warfarin,aspirin,precaution,Again,\n"  # 7: the same pair as line 6
    )
    report = run(app, import_interactions, write(tmp_path, text))
    assert [line for line, _ in report.rejected] == [2, 3, 4, 5, 7]
    assert "same interaction as line 6" in dict(report.rejected)[7]
    assert len(interactions(sql_conn)) == 1


def test_the_demo_files_import_cleanly_and_say_they_are_demo_data(app, sql_conn):
    assert run(app, import_medications, DEMO_MEDICATIONS).rejected == []
    assert run(app, import_interactions, DEMO_INTERACTIONS).rejected == []
    names = [name for (name,) in sql_conn.execute("SELECT name FROM medications").fetchall()]
    sources = {source for (source,) in sql_conn.execute("SELECT source FROM drug_interactions").fetchall()}
    assert names and all(name.startswith("DEMO ") for name in names)
    assert sources == {"DEMO data - not a clinical reference"}
