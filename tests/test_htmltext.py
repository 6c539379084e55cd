"""qa.read.htmltext: the text a reader of a page sees, without its furniture."""

from qa.read.htmltext import html_to_text


def test_paragraphs_become_lines_and_entities_are_decoded():
    text, title, source = html_to_text("<html><head><title>T &amp; S</title>"
                                       '<link rel="canonical" href="https://example.org/a"></head>'
                                       "<body><p>Caf&eacute; one.</p><p>Two &lt;b&gt;</p></body></html>")
    assert [line for line in text.split("\n") if line] == ["Café one.", "Two <b>"]
    assert title == "T & S" and source == "https://example.org/a"


def test_scripts_navigation_and_sidebars_are_left_out():
    markup = ("<body><nav><a href='/'>Home</a></nav><script>var x = 1;</script><style>p{}</style>"
              "<div role='navigation'>Menu</div><div class='sphinxsidebar'>Side</div><aside>Aside</aside>"
              "<main><p>The article.</p></main><footer>Footer</footer></body>")
    text, _, _ = html_to_text(markup)
    assert text.strip() == "The article."


def test_pre_blocks_keep_their_lines():
    text, _, _ = html_to_text("<body><p>Before.</p><pre>a = 1\n  b = 2</pre></body>")
    assert "a = 1\n  b = 2" in text
