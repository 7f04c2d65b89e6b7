from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pingjia.reviews.models import Invitation
from tests.conftest import Org, client_for


def upload(org: Org, data: bytes, **extra: str) -> object:
    return client_for(org["agent"]).post(reverse("invitation_import"), {
        "file": SimpleUploadedFile("服务完成.csv", data), **extra})


def csv_file(org: Org) -> bytes:
    return ("门店编码,外部编号,服务,客户姓名,手机号,服务完成时间\n"
            f"{org.store_a.code},SV-1,空调安装,李四,13712345678,2025-01-02 10:00\n"
            f"nowhere,SV-2,清洗,王五,13700000000,2025-01-02 11:00\n"
            f"{org.store_a.code},SV-3,维修,赵六,not a phone,2025-01-02 12:00\n"
            f"{org.store_a.code},SV-4,维修,赵六,,bad date\n").encode("gbk")


def test_invitations_from_a_file_keep_good_rows_and_report_bad_ones(org: Org) -> None:
    response = upload(org, csv_file(org))
    html = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    invitation = Invitation.objects.get()
    assert invitation.external_id == "SV-1" and invitation.customer.phone == "13712345678"
    assert "/i/" in html and "nowhere" in html and "bad date" in html
    again = upload(org, csv_file(org)).content.decode()  # type: ignore[attr-defined]
    assert Invitation.objects.count() == 1 and "SV-1" in again


def test_the_links_download_carries_no_phone_numbers(org: Org) -> None:
    response = upload(org, csv_file(org), **{"as": "csv"})
    text = response.content.decode()  # type: ignore[attr-defined]
    assert text.startswith("\ufeff") and "SV-1" in text and "/i/" in text
    assert "13712345678" not in text


def test_a_file_without_a_store_column_is_refused(org: Org) -> None:
    response = upload(org, "姓名,电话\n张三,138\n".encode())
    assert response.status_code == 400 and not Invitation.objects.exists()  # type: ignore
