def test_login_home(client, auth):
    staff = auth.login(roles=("admin",))
    r = client.get("/")
    assert r.status_code == 200 and b"Hello" in r.data
    for url in ["/admin/staff", "/pupils", "/groups", "/admin/staff/new", "/admin/pupils/new", "/admin/groups/new", "/account", "/manifest.webmanifest", "/sw.js", "/offline", "/healthz"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.data[:500])
