from spacy_somd.cli import app

app(prog_name="python -m spacy_somd")
