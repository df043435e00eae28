"""Synthetic podcast episodes for the benchmarks: realistic shape, made-up text, repeatable.

    python bench/generate.py --episodes 10000 --seed 1 --out bench/.cache/corpus-10000

writes `YYYY-MM-DD-N-slug.md` files in the format `episodes/` uses: front matter with
`mp3_duration`, `guest`, `tags` (from a pool of ~150, popular ones far more common, as in a
real catalogue), `title`; an intro; a `## Topics Include` list of about 30 `- m:ss -- text`
lines built from a vocabulary of technical words and filler; and a `###### 🛠 Libraries Used`
list of GitHub URLs from a pool of ~400. The same seed always gives the same files, byte for
byte. Nothing here reads or copies a real corpus.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

GENERATOR_VERSION = 1  # bump when the output changes, so cached corpora are regenerated

# --- vocabulary ----------------------------------------------------------------------------

# Tags: id and the words a segment may use for it. The first ones are the most popular.
TAGS = """
postgres python docker redis nginx stripe lets-encrypt ubuntu aws sentry s3 django
cloudflare react digitalocean rails ruby node javascript sidekiq celery github-actions
terraform ansible kubernetes heroku mysql elasticsearch flask phoenix elixir golang
typescript vue webpack gunicorn puma sqlite memcached rabbitmq kafka graphql websockets
datadog new-relic papertrail pagerduty sendgrid postmark mailgun twilio cloudfront
route53 ec2 ecs rds lambda dynamodb fargate gcp app-engine azure linode hetzner vultr
fly-io render netlify vercel circleci travis-ci gitlab-ci jenkins honeybadger rollbar
grafana prometheus loki influxdb statsd haproxy caddy traefik varnish apache
fastapi laravel php symfony wordpress java spring-boot kotlin scala akka clojure
rust haskell dotnet csharp svelte angularjs ember jquery tailwind bootstrap sass
stimulus turbo htmx alpinejs hotwire liveview oban timescaledb clickhouse mongodb
cassandra couchdb neo4j supabase firebase algolia meilisearch typesense airtable
zapier segment mixpanel plausible google-analytics intercom zendesk slack discord
paddle braintree paypal recurly chargebee auth0 okta keycloak vault consul nomad
packer vagrant docker-compose podman systemd supervisor cron backblaze minio
cloudinary imgix ffmpeg imagemagick puppeteer playwright selenium cypress jest pytest
rspec minitest
""".split()

TECH_WORDS = """
PostgreSQL Postgres Python Docker Redis nginx Stripe Ubuntu AWS Sentry S3 Django Cloudflare
React DigitalOcean Rails Ruby Node JavaScript Sidekiq Celery Terraform Ansible Kubernetes
Heroku MySQL Elasticsearch Flask Phoenix Elixir Go TypeScript Vue webpack gunicorn Puma
SQLite Memcached RabbitMQ Kafka GraphQL WebSockets Datadog PagerDuty SendGrid Postmark
Twilio CloudFront Lambda DynamoDB Fargate Linode Hetzner Netlify CircleCI Jenkins Grafana
Prometheus HAProxy Caddy Traefik Varnish Apache FastAPI Laravel PHP WordPress Java Kotlin
Scala Clojure Rust Haskell Svelte Tailwind Bootstrap Stimulus Turbo htmx LiveView Oban
TimescaleDB ClickHouse MongoDB Cassandra Supabase Firebase Algolia Meilisearch Auth0 Vault
Consul Nomad Packer systemd cron Backblaze MinIO Cloudinary ffmpeg ImageMagick Puppeteer
Playwright Selenium Cypress Jest pytest RSpec Kubernetes Helm Istio Envoy gRPC OAuth JWT
SAML WebAssembly Deno Bun Webpack esbuild Vite Babel Lua OpenResty Varnish CDN VPS
""".split()

NOUNS = """
background-jobs database load-balancer cache queue deploy pipeline migration backup
monitoring alerting logging tracing metrics dashboard API admin-panel search-index
payment-flow subscription billing invoice webhook email-delivery push-notification
rate-limiter session-store feature-flag A/B-test staging-server test-suite code-review
pull-request release-process rollback health-check cron-job worker-pool connection-pool
read-replica failover disaster-recovery on-call-rotation incident postmortem runbook
container image registry cluster node-pool autoscaler reverse-proxy TLS-certificate
DNS-record firewall VPN secret-store config-file environment-variable build-cache
asset-pipeline static-files file-upload image-resizing video-transcoding PDF-export
CSV-import data-warehouse ETL-job analytics-event search-results recommendation-engine
multi-tenant-setup user-account permission-system audit-log GDPR-request data-retention
free-tier pricing-page landing-page onboarding-flow mobile-app desktop-client
command-line-tool browser-extension SDK plugin-system monolith microservice service-mesh
message-bus event-stream websocket-server chat-feature notification-center
""".split()

VERBS = """
Using Moving Splitting Replacing Scaling Deploying Migrating Monitoring Debugging Caching
Building Running Testing Profiling Securing Backing-up Automating Rewriting Upgrading
Choosing Hosting Load-testing Sharding Indexing Versioning Containerizing Self-hosting
Tuning Rolling-out Shipping Refactoring Documenting Measuring Paying-for Dropping
""".split()

ADJECTIVES = """
slow fast cheap expensive flaky reliable small large legacy brand-new self-hosted managed
background realtime daily nightly weekly read-heavy write-heavy multi-region single-server
zero-downtime blue-green canary encrypted compressed batched idempotent stateless stateful
""".split()

FILLER = [
    "without losing sleep",
    "for the first time",
    "after the big outage",
    "on a single server",
    "with a tiny team",
    "and why it was worth it",
    "before the launch",
    "while keeping costs down",
    "in production",
    "at around 3 AM",
    "with almost no downtime",
    "instead of building it in-house",
    "across two regions",
    "for thousands of customers",
    "and what they would do differently",
    "to keep the p99 under 200ms",
    "on a budget of $40 a month",
    "during a traffic spike",
    "as a solo developer",
    "with a handful of scripts",
]

TEMPLATES = [
    "{verb} {tech} for the {noun}",
    "{verb} the {adj} {noun} with {tech} and {tech2}",
    "Why they picked {tech} over {tech2} for the {noun}",
    "{verb} a {adj} {noun} {filler}",
    "How the {noun} works with {tech} {filler}",
    "The {noun} runs on {tech}, with {tech2} in front of it",
    "{verb} {tech} {filler}",
    "Lessons from {adj} {noun} problems with {tech}",
    "A {adj} {noun} built on {tech} and {tech2}",
    "Keeping the {noun} {adj} with {tech}",
    "{verb} the {noun} from {tech} to {tech2}",
    "What broke when the {noun} hit {number} requests a minute",
    "Best tips: keep the {noun} boring and use {tech}",
]

TITLE_TEMPLATES = [
    "{product} Runs a {adj} {noun} on {tech}",
    "Building {product} with {tech} and {tech2}",
    "{product} Moved Its {noun} from {tech} to {tech2}",
    "{product} Serves Its Customers from a {adj} {tech} Setup",
    "How {product} Scaled a {noun} with {tech}",
    "{product}: a {noun} for {audience} on {tech}",
]

AUDIENCES = """
bakeries dentists farmers musicians teachers landlords gyms breweries nonprofits
photographers veterinarians architects translators florists cyclists sailors climbers
""".split()

PRODUCT_PARTS = (
    "Acme Blue Bright Cloud Data Easy Fast Green Happy Hive Iron Jolly Kite Lumen Maple "
    "Nimbus Orbit Pixel Quill River Swift Tiny Umbra Vivid Wave Yonder Zen North Ember "
    "Cedar Atlas Beacon Comet Delta Fable Grove Harbor"
).split()
PRODUCT_SUFFIXES = "ly ify hub desk base stack works lab box flow cast track note".split()

FIRST_NAMES = """
Ada Alan Amara Anders Ana Arjun Beatriz Ben Camille Carlos Chen Chiara Dana Daniel Dmitri
Elena Emeka Emma Farah Felix Fatima Gabriel Grace Hana Hugo Ines Ivan Jamal Jana Jonas
Julia Kai Kenji Lars Leila Liam Lucia Maya Mateo Mei Mohammed Nadia Nico Nina Noah Olga
Omar Paula Pedro Priya Quentin Rafael Rosa Sam Sara Sofia Tariq Tomas Uma Victor Wen
Yara Yusuf Zoe Bruno Clara Diego Eva Filip Greta Hiro Irene Jorge Kira Leon Marta
""".split()
LAST_NAMES = """
Abbott Almeida Andersen Bauer Becker Bianchi Brown Castro Chen Costa Dubois Eriksson
Fischer Garcia Gomez Hansen Hoffmann Ivanova Jensen Kim Kowalski Larsen Lee Lopez Martin
Meyer Moreau Müller Nakamura Novak Okafor Olsen Park Petrov Quinn Rossi Santos Schmidt
Silva Singh Smith Sousa Tanaka Torres Vargas Wagner Wang Weber Yilmaz Zhang Nováková
Márquez Łukasz Öztürk Ødegaard Haddad Mensah Nguyen Patel Reyes Sato
""".split()

LIBRARY_OWNERS = """
pallets django encode celery redis psf rails sidekiq mperham tiangolo sqlalchemy
pytest-dev benoitc getsentry hashicorp ansible kubernetes docker nginx vuejs facebook
vercel sveltejs tailwindlabs hotwired phoenixframework elixir-lang golang rust-lang
nodejs expressjs fastify prisma typeorm knex sequelize laravel symfony spring-projects
jetbrains grafana prometheus elastic mongodb timescale clickhouse meilisearch typesense
stripe twilio sendgrid auth0 okta keycloak traefik caddyserver haproxy varnishcache
""".split()
LIBRARY_WORDS = """
core cli client server sdk admin auth cache queue jobs worker scheduler migrations orm
forms rest api graphql websocket storage uploads images pdf csv mailer notifications
search metrics tracing logging config secrets toolbelt testing fixtures factory mock
""".split()

SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")
ARTICLE = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")


@dataclass(frozen=True)
class Pools:
    tags: tuple[str, ...]
    tag_weights: tuple[float, ...]
    libraries: tuple[str, ...]
    library_weights: tuple[float, ...]


def _zipf_weights(count: int, exponent: float = 1.0) -> tuple[float, ...]:
    return tuple(1.0 / (rank + 1) ** exponent for rank in range(count))


def make_pools(rng: random.Random) -> Pools:
    """The tag pool (~150) and the library pool (400 GitHub repositories)."""
    tags = tuple(dict.fromkeys(TAGS))
    libraries: list[str] = []
    seen: set[str] = set()
    while len(libraries) < 400:
        owner = rng.choice(LIBRARY_OWNERS)
        repo = rng.choice(LIBRARY_WORDS)
        if rng.random() < 0.5:
            repo = f"{owner.split('-')[0]}-{repo}"
        name = f"{owner}/{repo}"
        if name not in seen:
            seen.add(name)
            libraries.append(name)
    return Pools(
        tags=tags,
        tag_weights=_zipf_weights(len(tags), 0.9),
        libraries=tuple(libraries),
        library_weights=_zipf_weights(len(libraries), 1.1),
    )


def _weighted_sample(
    rng: random.Random, items: Sequence[str], cum_weights: Sequence[float], k: int
) -> list[str]:
    chosen: dict[str, None] = {}
    attempts = 0
    while len(chosen) < k and attempts < k * 10:
        chosen[rng.choices(items, cum_weights=cum_weights)[0]] = None
        attempts += 1
    return list(chosen)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _words(noun: str) -> str:
    return noun.replace("-", " ")


def _an(text: str) -> str:
    """`a expensive` -> `an expensive`."""
    return ARTICLE.sub(r"\1n ", text)


def _fill(rng: random.Random, template: str, tech: Sequence[str]) -> str:
    first, second = (
        rng.sample(list(tech), 2) if len(tech) >= 2 else (tech[0], rng.choice(TECH_WORDS))
    )
    return _an(
        template.format(
            verb=_words(rng.choice(VERBS)),
            adj=_words(rng.choice(ADJECTIVES)),
            noun=_words(rng.choice(NOUNS)),
            tech=first,
            tech2=second,
            filler=rng.choice(FILLER),
            number=f"{rng.randint(1, 90) * 1000:,}",
            product="",
            audience="",
        )
    )


def _timestamp(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _slug(text: str) -> str:
    return SLUG_UNSAFE.sub("-", text.lower()).strip("-")


def episode_text(
    rng: random.Random,
    pools: Pools,
    tag_cum: Sequence[float],
    lib_cum: Sequence[float],
    number: int,
) -> tuple[str, str]:
    """One episode: (title, file text)."""
    tags = _weighted_sample(rng, pools.tags, tag_cum, rng.randint(6, 20))
    # Segments talk about the episode's own stack most of the time, like real show notes.
    own_tech = [rng.choice(TECH_WORDS) for _ in range(6)]
    guests = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"]
    if rng.random() < 0.1:
        guests.append(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
    product = rng.choice(PRODUCT_PARTS) + rng.choice(PRODUCT_SUFFIXES)
    title = _an(
        rng.choice(TITLE_TEMPLATES).format(
            product=product,
            adj=_words(rng.choice(ADJECTIVES)).title(),
            noun=_words(rng.choice(NOUNS)).title(),
            tech=own_tech[0],
            tech2=own_tech[1],
            audience=rng.choice(AUDIENCES),
        )
    )
    duration = rng.randint(30 * 60, 100 * 60)
    count = rng.randint(25, 35)
    step = duration // (count + 1)
    starts = sorted(
        {
            min(duration - 1, step * (i + 1) + rng.randint(-step // 3, step // 3))
            for i in range(count)
        }
    )
    lines = []
    for start in starts:
        pool = own_tech if rng.random() < 0.7 else TECH_WORDS
        lines.append(f"- {_timestamp(start)} -- {_fill(rng, rng.choice(TEMPLATES), pool)}")
    libraries = _weighted_sample(rng, pools.libraries, lib_cum, rng.randint(2, 8))

    meta = [
        "---",
        'layout: "podcast-or-interview"',
        "",
        f'mp3_bytes: "{duration * 16000}"',
        f'mp3_duration: "{_timestamp(duration)}"',
        "",
        f'guest: "{guests[0]}"',
        f'guest_website: "https://{_slug(guests[0])}.example.org/"',
    ]
    for extra, name in enumerate(guests[1:], start=2):
        meta.append(f'guest_{extra}: "{name}"')
    meta += [
        "",
        'category: "podcast"',
        "tags:",
        *[f'  - "{tag}"' for tag in tags],
        "",
        f'title: "{title}"',
        "",
        "description:",
        f"  {guests[0]} talks about {product}, a {_words(rng.choice(NOUNS))} built with "
        f"{own_tech[0]} and {own_tech[1]}.",
        "---",
        "",
        f"In this episode, {guests[0]} explains how {product} went from a side project to a "
        f"{_words(rng.choice(ADJECTIVES))} {_words(rng.choice(NOUNS))} on **{own_tech[2]}**, "
        f"{rng.choice(FILLER)}.",
        "",
        f"They cover {_words(rng.choice(NOUNS))}, {_words(rng.choice(NOUNS))} and "
        f"{_words(rng.choice(NOUNS))} with {own_tech[3]}.",
        "",
        "## Topics Include",
        "",
        *lines,
        "",
        "## Links",
        "",
        "###### 📄 References",
        "",
        f"- <https://{_slug(product)}.example.com/>",
        "",
        "###### 🛠 Libraries Used",
        "",
        *[f"- <https://github.com/{lib}>" for lib in libraries],
    ]
    return title, _an("\n".join(meta)) + "\n"


def generate(episodes: int, seed: int, out: Path) -> list[Path]:
    """Write `episodes` files into `out` (created; existing .md files there are removed)."""
    rng = random.Random(seed)
    pools = make_pools(rng)
    tag_cum = _cumulative(pools.tag_weights)
    lib_cum = _cumulative(pools.library_weights)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.md"):
        old.unlink()
    start = dt.date(2012, 1, 2)
    days = (dt.date(2025, 12, 29) - start).days
    slugs: set[str] = set()
    written = []
    for index in range(episodes):
        number = index + 1
        title, text = episode_text(rng, pools, tag_cum, lib_cum, number)
        date = start + dt.timedelta(days=days * index // max(1, episodes - 1))
        slug = _slug(title)[:80].strip("-")
        if slug in slugs:
            slug = f"{slug}-{number}"
        slugs.add(slug)
        path = out / f"{date.isoformat()}-{number}-{slug}.md"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def extra_episode(seed: int, number: int) -> tuple[str, str]:
    """One more episode (file name, text) for incremental-update benchmarks."""
    rng = random.Random(f"{seed}-extra-{number}")
    pools = make_pools(random.Random(seed))
    title, text = episode_text(
        rng, pools, _cumulative(pools.tag_weights), _cumulative(pools.library_weights), number
    )
    return f"2026-01-05-{number}-{_slug(title)[:80].strip('-')}.md", text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    written = generate(args.episodes, args.seed, args.out)
    seconds = time.perf_counter() - started
    print(f"wrote {len(written):,} episodes to {args.out} in {seconds:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
