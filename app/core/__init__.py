"""What every domain shares: the database and who is acting (db_context),
constraint messages (db_errors), the error type and its one HTTP answer
(errors, answers), the hospital's time zone, normalisation, search filters,
and the base screen and API classes."""
