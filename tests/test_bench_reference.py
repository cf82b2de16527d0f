"""The benchmark's in-memory reference page is mounted only when the benchmark asks
for it, and then serves the file's bytes as the API would."""

import importlib

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

import backupreport.urls


@pytest.fixture
def reload_urls():
    yield
    clear_url_caches()
    importlib.reload(backupreport.urls)


def test_not_mounted_without_the_setting(client, db):
    assert client.get("/bench/reference-page").status_code == 404


def test_served_from_the_file_when_the_benchmark_sets_it(client, db, tmp_path, reload_urls):
    page = tmp_path / "page.json"
    page.write_bytes(b'{"metadata": {}, "data": []}')
    with override_settings(BENCH_REFERENCE_PAGE=str(page)):
        clear_url_caches()
        importlib.reload(backupreport.urls)
        from backupreport import bench_reference

        bench_reference._page.cache_clear()
        response = client.get("/bench/reference-page")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == page.read_bytes()
