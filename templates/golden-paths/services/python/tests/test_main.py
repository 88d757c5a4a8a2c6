from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_health_answers_ok() -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_are_in_prometheus_format() -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "\nprocess_start_time_seconds " in response.text


def test_unknown_paths_are_not_found() -> None:
    assert client.get("/nope").status_code == 404
