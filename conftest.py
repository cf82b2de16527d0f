# Fixture modules shared across tests/ (pytest reads pytest_plugins only here, at the root).
pytest_plugins = [
    "tests.personas",
    "tests.find_support",
    "tests.redis_support",
    "tests.smtp_support",
    "tests.sso_support",
]
