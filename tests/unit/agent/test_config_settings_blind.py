"""Blind tests for configuration-file settings in the repository map.

Written from the specification only: `outline(path, text).constants` lists a
config file's short literal settings as "key = value".
"""

from __future__ import annotations

import textwrap

import pytest

from cairn.server.agent.repo_symbols import FileOutline, outline


def consts(path: str, text: str) -> tuple[str, ...]:
    found = outline(path, textwrap.dedent(text))
    assert isinstance(found, FileOutline)
    assert isinstance(found.constants, tuple)
    assert all(isinstance(c, str) for c in found.constants)
    return found.constants


def keys(constants: tuple[str, ...]) -> list[str]:
    return [c.split(" = ", 1)[0] for c in constants]


def in_file_order(constants: tuple[str, ...], expected_order: list[str]) -> bool:
    """The members of expected_order that appear keep that relative order."""
    present = [c for c in constants if c in expected_order]
    return present == [e for e in expected_order if e in present]


# --- 1. recognised by name -------------------------------------------------


@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("config/settings.ini", "port = 8080\n", ("port = 8080",)),
        ("setup.cfg", "port = 8080\n", ("port = 8080",)),
        ("etc/app.conf", "port = 8080\n", ("port = 8080",)),
        ("app.properties", "port = 8080\n", ("port = 8080",)),
        ("prod.env", "port=8080\n", ("port = 8080",)),
        ("config.toml", "port = 8080\n", ("port = 8080",)),
        ("deploy/values.yaml", "port: 8080\n", ("port = 8080",)),
        ("deploy/values.yml", "port: 8080\n", ("port = 8080",)),
        (".env", "PORT=8080\n", ("PORT = 8080",)),
        ("svc/.env", "PORT=8080\n", ("PORT = 8080",)),
        (".env.example", "PORT=8080\n", ("PORT = 8080",)),
        ("docker-compose.yml", 'version: "3.9"\n', ('version = "3.9"',)),
        ("compose.yaml", 'version: "3.9"\n', ('version = "3.9"',)),
        ("Dockerfile", "EXPOSE 8080\n", ("EXPOSE = 8080",)),
        ("docker/Dockerfile.prod", "EXPOSE 8080\n", ("EXPOSE = 8080",)),
        ("docker/app.Dockerfile", "EXPOSE 8080\n", ("EXPOSE = 8080",)),
    ],
)
def test_config_files_recognised_by_name(path, text, expected):
    assert consts(path, text) == expected


# --- 2/3/4. INI / CFG / CONF ----------------------------------------------

SETTINGS_INI = """\
; shop service settings
[database]
host = db.shop.internal
port = 5432
name = shop
user = shop_app

[cache]
url = redis://cache.shop.internal:6379/0
ttl=300

[storage]
bucket = s3://shop-media-prod/uploads
"""


def test_shop_settings_ini_values_and_sections():
    c = consts("shop/settings.ini", SETTINGS_INI)
    assert set(c) == {
        "host = db.shop.internal",
        "port = 5432",
        "name = shop",
        "user = shop_app",
        "url = redis://cache.shop.internal:6379/0",
        "ttl = 300",
        "bucket = s3://shop-media-prod/uploads",
    }
    assert len(c) == 7
    assert not any("[" in x for x in c)  # no section headers
    assert not any("shop service settings" in x for x in c)  # no comment


def test_ini_file_order_within_lookup_group():
    c = consts("shop/settings.ini", SETTINGS_INI)
    lookup = [
        "host = db.shop.internal",
        "port = 5432",
        "url = redis://cache.shop.internal:6379/0",
        "ttl = 300",
        "bucket = s3://shop-media-prod/uploads",
    ]
    assert [x for x in c if x in lookup] == lookup
    assert [x for x in c if x not in lookup] == ["name = shop", "user = shop_app"]


def test_ini_trailing_comments_stripped_and_comment_lines_skipped():
    text = """\
    [server]
    # port = 9999
    ; host = old.example.com
    host = db.local  # primary
    timeout = 30 ; seconds
    """
    c = consts("server.cfg", text)
    assert c == ("host = db.local", "timeout = 30")


def test_url_fragment_without_space_kept():
    text = """\
    [links]
    docs = https://wiki.example.com/shop#setup
    """
    assert consts("links.conf", text) == ("docs = https://wiki.example.com/shop#setup",)


def test_empty_values_are_not_settings():
    text = """\
    [database]
    host = pg.example.net
    password =
    replica=
    """
    assert consts("db.ini", text) == ("host = pg.example.net",)


def test_properties_dotted_keys_kept_as_written():
    text = """\
    # Spring settings
    server.port=8081
    spring.datasource.url=jdbc:postgresql://pg:5432/shop
    """
    assert consts("src/main/resources/application.properties", text) == (
        "server.port = 8081",
        "spring.datasource.url = jdbc:postgresql://pg:5432/shop",
    )


# --- length limit ----------------------------------------------------------


def test_value_of_48_chars_kept_49_dropped():
    v48 = "/" + "a" * 47
    v49 = "/" + "a" * 48
    assert len(v48) == 48 and len(v49) == 49
    text = f"[paths]\nshort = {v48}\nlong = {v49}\n"
    assert consts("paths.ini", text) == (f"short = {v48}",)


def test_long_yaml_value_dropped():
    long_image = "registry.example.com/" + "team/" * 10 + "report:1.4.2"
    assert len(long_image) > 48
    text = f"image: {long_image}\nport: 8080\n"
    assert consts("deploy/job.yaml", text) == ("port = 8080",)


# --- .env -------------------------------------------------------------------


def test_env_example():
    url = "postgres://shop@pg-01.int.example.net/shop"
    assert len(url) <= 48
    text = f"""\
# copy to .env and fill in
DATABASE_URL={url}
export AWS_REGION=eu-west-1
PORT=8000 # web
EMPTY=
"""
    c = consts(".env.example", text)
    assert c == (
        f"DATABASE_URL = {url}",
        "AWS_REGION = eu-west-1",
        "PORT = 8000",
    )


# --- YAML -------------------------------------------------------------------

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-report
  namespace: shop
spec:
  schedule: "40 6 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: registry.example.com/shop/report:1.4.2
          restartPolicy: OnFailure
"""


def test_k8s_cronjob_image_and_schedule():
    c = consts("deploy/k8s/nightly-report.yaml", CRONJOB)
    assert 'schedule = "40 6 * * *"' in c  # quotes kept
    assert "image = registry.example.com/shop/report:1.4.2" in c
    assert "apiVersion = batch/v1" in c
    assert "namespace = shop" in c  # nested key, any indentation
    assert "restartPolicy = OnFailure" in c
    for block in ("metadata", "spec", "jobTemplate", "template", "containers"):
        assert block not in keys(c)
    assert in_file_order(
        c,
        [
            "apiVersion = batch/v1",
            'schedule = "40 6 * * *"',
            "image = registry.example.com/shop/report:1.4.2",
        ],
    )


def test_kustomization_env_list_items():
    text = """\
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    configMapGenerator:
      - name: shop-env
        literals:
          - PGHOST=pg-01.int.example.net
          - PGPORT=5432
          - PGDATABASE=shop
    """
    c = consts("deploy/kustomization.yaml", text)
    assert "PGHOST = pg-01.int.example.net" in c
    assert "PGPORT = 5432" in c
    assert "PGDATABASE = shop" in c
    assert "apiVersion = kustomize.config.k8s.io/v1beta1" in c
    assert c.index("PGHOST = pg-01.int.example.net") < c.index("PGPORT = 5432")
    assert "configMapGenerator" not in keys(c)
    assert "literals" not in keys(c)


def test_docker_compose_images_env_and_ports_block():
    text = """\
    version: "3.9"
    services:
      db:
        image: postgres:15.6-alpine3.19
        ports:
          - "5432:5432"
        environment:
          - POSTGRES_DB=shop
      web:
        image: registry.example.com/shop/web:2.3.0
        ports:
          - "8000:8000"
        depends_on:
          - db
    """
    c = consts("docker-compose.yml", text)
    assert "image = postgres:15.6-alpine3.19" in c
    assert "image = registry.example.com/shop/web:2.3.0" in c
    assert c.index("image = postgres:15.6-alpine3.19") < c.index(
        "image = registry.example.com/shop/web:2.3.0"
    )
    assert 'version = "3.9"' in c
    assert "POSTGRES_DB = shop" in c
    for block in ("services", "db", "web", "ports", "environment", "depends_on"):
        assert block not in keys(c)


def test_yaml_block_openers_are_not_settings():
    text = """\
    env:
      LOG_LEVEL: debug
    script: |
      echo building
      make all
    description: >
      nightly export of
      the orders table
    bucket: s3://shop-exports
    """
    c = consts(".gitlab/ci.yml", text)
    assert "bucket = s3://shop-exports" in c
    assert "LOG_LEVEL = debug" in c
    assert not {"env", "script", "description"} & set(keys(c))
    assert not any(x.endswith("|") or x.endswith(">") for x in c)


def test_yaml_comment_stripped_quotes_kept_fragment_kept():
    text = """\
    image: nginx:1.25  # pinned
    tag: 'v1.2'
    homepage: https://example.com/docs#install
    """
    assert consts("site.yaml", text) == (
        "image = nginx:1.25",
        "tag = 'v1.2'",
        "homepage = https://example.com/docs#install",
    )


# --- Dockerfile -------------------------------------------------------------


def test_dockerfile_from_arg_env_expose():
    text = """\
    # syntax=docker/dockerfile:1
    FROM python:3.12-slim AS build
    ARG APP_VERSION=1.4.2
    ENV PYTHONUNBUFFERED=1
    ENV APP_HOME /srv/app
    COPY . .
    RUN pip install --no-cache-dir -r requirements.txt
    EXPOSE 8080
    CMD ["gunicorn", "-b", "0.0.0.0:8080", "shop.wsgi"]
    """
    assert consts("Dockerfile", text) == (
        "FROM = python:3.12-slim",
        "APP_VERSION = 1.4.2",
        "PYTHONUNBUFFERED = 1",
        "APP_HOME = /srv/app",
        "EXPOSE = 8080",
    )


def test_dockerfile_multi_stage_froms_in_order():
    text = """\
    FROM node:20-alpine AS assets
    RUN npm ci
    FROM nginx:1.25-alpine
    EXPOSE 80
    """
    assert consts("docker/Dockerfile.prod", text) == (
        "FROM = node:20-alpine",
        "FROM = nginx:1.25-alpine",
        "EXPOSE = 80",
    )


# --- TOML -------------------------------------------------------------------


def test_pyproject_toml():
    text = '''\
    [build-system]
    build-backend = "setuptools.build_meta"

    [project]
    name = "shop"
    version = "0.3.1"
    requires-python = ">=3.11"
    dependencies = [
        "django>=5.0",
        "psycopg[binary]>=3.1",
    ]
    description = """
    The shop service.
    """

    [tool.pytest.ini_options]
    addopts = "-q"
    '''
    c = consts("pyproject.toml", text)
    assert set(c) == {
        'build-backend = "setuptools.build_meta"',
        'name = "shop"',
        'version = "0.3.1"',
        'requires-python = ">=3.11"',
        'addopts = "-q"',
    }
    assert len(c) == 5
    assert in_file_order(
        c,
        [
            'build-backend = "setuptools.build_meta"',
            'version = "0.3.1"',
            'requires-python = ">=3.11"',
        ],
    )


def test_toml_scalars_kept_tables_and_inline_tables_not():
    text = """\
    [server]
    host = "0.0.0.0"
    port = 8080  # default
    workers = 4
    timeout = 30.5
    debug = false
    labels = { env = "prod", team = "shop" }

    [server.tls]
    cert = "/etc/ssl/shop.pem"
    """
    c = consts("config.toml", text)
    assert set(c) == {
        'host = "0.0.0.0"',
        "port = 8080",
        "workers = 4",
        "timeout = 30.5",
        "debug = false",
        'cert = "/etc/ssl/shop.pem"',
    }
    assert not any("{" in x or "[" in x for x in c)


# --- 5. ordering and the 12 limit -------------------------------------------


def test_lookup_values_before_plain_words_and_booleans():
    text = """\
    [app]
    debug = false
    retries = 3
    mode = fast
    host = api.example.com
    level = info
    root = /var/lib/shop
    color = blue
    addr = localhost:9000
    verbose = true
    owner = ops@example.com
    theme = dark
    region = eu1
    """
    assert consts("app.ini", text) == (
        "retries = 3",
        "host = api.example.com",
        "root = /var/lib/shop",
        "addr = localhost:9000",
        "owner = ops@example.com",
        "region = eu1",
        "debug = false",
        "mode = fast",
        "level = info",
        "color = blue",
        "verbose = true",
        "theme = dark",
    )


def test_at_most_12_settings_in_file_order():
    text = "".join(f"PORT_{i:02d}=80{i:02d}\n" for i in range(20))
    c = consts(".env", text)
    assert c == tuple(f"PORT_{i:02d} = 80{i:02d}" for i in range(12))


def test_limit_keeps_lookup_settings_over_plain_ones():
    plain = ["debug = false", "mode = fast", "level = info", "color = blue", "cache = on"]
    lookup = [f"host{i} = h{i}.example.com" for i in range(10)]
    text = "\n".join(plain + lookup) + "\n"
    c = consts("many.cfg", "[main]\n" + text)
    assert len(c) == 12
    assert c == tuple(lookup) + tuple(plain[:2])


def test_limit_applies_to_yaml_too():
    text = "".join(f"key{i}: v{i}.example.org\n" for i in range(30))
    c = consts("big.yaml", text)
    assert c == tuple(f"key{i} = v{i}.example.org" for i in range(12))


# --- 6. non-config files ---------------------------------------------------


@pytest.mark.parametrize("path", ["README.md", "docs/notes.txt"])
def test_markdown_and_text_files_have_no_constants(path):
    text = "host = db.example.com\nport: 8080\nFROM python:3.12\nPORT=8000\n"
    assert consts(path, text) == ()


def test_python_module_constant_unchanged():
    assert outline("a.py", "PORT = 8080\n").constants == ("PORT = 8080",)


# --- 7. garbage never raises -----------------------------------------------

GARBAGE = [
    "",
    "\x00\xff\x89PNG\r\n\x1a\n\x00\x00IHDR\x00" * 50,
    "key: [unclosed\n  - : :\n\tfoo: bar: baz\n: nokey\n---\n...\n",
    '[[[\nname = "unterminated\nport = = 80\n]]]\n',
    "x" * 1_000_000,
    "FROM\nENV\nEXPOSE\nARG =\n- =\n=\n:\n",
    "\ufeff\u2028weird\u2029 = \udcff\n",
]
GARBAGE_PATHS = [
    "settings.ini",
    "setup.cfg",
    "a.conf",
    "pyproject.toml",
    "a.properties",
    ".env",
    "k8s.yaml",
    "docker-compose.yml",
    "Dockerfile",
    "notes.md",
    "mod.py",
]


@pytest.mark.parametrize("path", GARBAGE_PATHS)
@pytest.mark.parametrize("text", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_raises(path, text):
    found = outline(path, text)
    assert isinstance(found, FileOutline)
    assert isinstance(found.constants, tuple)
    assert all(isinstance(c, str) for c in found.constants)


@pytest.mark.parametrize("path", ["settings.ini", "k8s.yaml", ".env", "Dockerfile"])
def test_huge_line_value_is_dropped(path):
    sep = {"k8s.yaml": ": ", ".env": "=", "settings.ini": " = ", "Dockerfile": " "}[path]
    key = "ENV HOST" if path == "Dockerfile" else "host"
    text = f"{key}{sep}{'a' * 1_000_000}\n"
    assert outline(path, text).constants == ()


def test_invalid_yaml_still_read_line_by_line_without_raising():
    text = "image: nginx:1.25\nbroken: [a, b\n\tbad:\t: :\n"
    c = outline("deploy.yaml", text).constants
    assert isinstance(c, tuple)
    assert len(c) <= 12
