from observatory.cli import app

app(prog_name="observatory")
