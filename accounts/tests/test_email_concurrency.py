"""Attempt limits hold under concurrency (PostgreSQL: the code row is locked for each check)."""

import threading

import pytest
from django.db import connection

from accounts.models import EmailToken
from accounts.services import email_auth, email_codes
from tutorcal.errors import DomainError

PASSWORD = "kvartira-Zelenaya-42"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_wrong_codes_get_at_most_five_tries():
    user = email_auth.signup_start(email="race@example.com", password=PASSWORD, first_name="Гонка")
    code = email_codes.issue(user=user, purpose=EmailToken.Purpose.SIGNUP_CODE)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    answers, barrier = [], threading.Barrier(20)

    def guess():
        try:
            barrier.wait()
            email_auth.signup_verify(user_id=user.pk, code=wrong, role="teacher")
            answers.append("ACCEPTED")
        except DomainError as exc:
            answers.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.count("INVALID_CODE") == 5 and answers.count("CODE_EXPIRED") == 15
    assert EmailToken.objects.get(user=user).failed_attempts == 5
    with pytest.raises(DomainError, match="CODE_EXPIRED"):
        email_auth.signup_verify(user_id=user.pk, code=code, role="teacher")
