"""`flask vaccines import` and `import-calendar`: the shipped files load
(upsert: a second run adds nothing), a bad line is rejected with its number
and reason, a bad file imports nothing; --as applies the user's role."""


def count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_the_shipped_reference_loads_once(app, sql_conn):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["vaccines", "import"])
    assert first.exit_code == 0 and "vaccines: 15 added" in first.output, first.output
    calendar = runner.invoke(args=["vaccines", "import-calendar"])
    assert calendar.exit_code == 0 and "0 line(s) rejected" in calendar.output, calendar.output
    steps = count(sql_conn, "vaccination_schedule")
    again = runner.invoke(args=["vaccines", "import-calendar"])
    assert "0 added, 0 updated" in again.output and count(sql_conn, "vaccination_schedule") == steps
    dtp = sql_conn.execute(
        "SELECT due_age_months, repeat_every_months FROM vaccination_schedule WHERE code = 'dtp-75y-every-10y'"
    ).fetchone()
    assert dtp == (900, 120)


def test_a_bad_line_is_rejected_by_number_and_a_bad_file_imports_nothing(app, sql_conn, tmp_path):
    good = tmp_path / "vaccines.csv"
    good.write_text("code,name,diseases\nFLU2,Flu vaccine,influenza\nBAD,Bad one,flu\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["vaccines", "import", str(good)])
    assert "line 3: diseases" in result.output and "1 added" in result.output
    broken = tmp_path / "broken.csv"
    broken.write_text("code,label\nx,y\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["vaccines", "import-calendar", str(broken)])
    assert result.exit_code == 1 and "Nothing imported" in result.output
    assert count(sql_conn, "vaccination_schedule") == 0


def test_a_nurse_may_not_change_the_reference(app, sql_conn):
    result = app.test_cli_runner().invoke(args=["vaccines", "import", "--as", "nurse"])
    assert result.exit_code != 0 and count(sql_conn, "vaccines") == 0
