;;; scenario.el --- What a user does with Cairn in Emacs, for the eglot and lsp-mode specs  -*- lexical-binding: t; -*-

;;; Commentary:

;; One scenario, two clients.  The user opens a project's mod.py and a file outside any
;; project, starts a chat and a code action (Write tests, in the other file) that both take
;; longer than the client's request timeout, and while they run: chats in a new session,
;; explains code (code action and M-x cairn-explain), adds a docstring through a code action
;; (then saves it), dismisses an approval prompt with C-g; then the slow answers arrive and
;; the servers are shut down.
;;
;; A spec sets `cairn-scenario-client' to a plist of functions:
;;   :connect (BUFFER)            start Cairn for BUFFER as the user would; non-nil once up
;;   :code-action (BUFFER BEG END KIND)  pick Cairn's code action of KIND over BEG..END
;;   :shown (TEXT)                non-nil once TEXT is visible to the user
;;   :dismiss ()                  what the prompt (`completing-read') does when the user
;;                                dismisses it
;;   :shutdown ()                 shut every Cairn server down; the list of their processes
;;   :ended-cleanly (PROCESS)     whether a server's process ended as it should with this client
;;   :request-timeout             seconds the client waits for a blocking request

;;; Code:

(require 'harness)
(require 'cairn)

(defconst cairn-scenario-source "def add(a, b):\n    return a + c\n")

(defconst cairn-scenario-long-delay 4
  "Seconds before each of the slow answer's three chunks: the run outlives the 10 s that
eglot (`jsonrpc-default-request-timeout') and lsp-mode (`lsp-response-timeout') wait.")

(defconst cairn-scenario-turns
  `(("Say hello" . [((chunks . ["Hello" ", " "world."]))])
    ("Explain the following code" . ["It adds a to an undefined name c."])
    ("Add a docstring"
     . [((tool_calls . [((name . "propose_edit")
                         (arguments . ((path . "mod.py")
                                       (old_text . "def add(a, b):\n")
                                       (new_text . "def add(a, b):\n    \"\"\"Add a and c.\"\"\"\n")
                                       (description . "docstring"))))]))
        "Added a docstring."])
    ("undefined name 'c'"
     . [((tool_calls . [((name . "propose_edit")
                         (arguments . ((path . "mod.py") (old_text . "a + c") (new_text . "a + b")
                                       (description . "use b"))))]))
        "Replaced c with b."])
    ("Take your time"
     . [((chunks . ["Slow " "and " "steady."]) (delay . ,cairn-scenario-long-delay))])
    ("Write tests for the code"
     . [((chunks . ["Tests " "take " "time."]) (delay . ,cairn-scenario-long-delay))])
    ("Clean the build"
     . [((tool_calls . [((name . "run_command") (arguments . ((command . "touch cleaned.txt"))))]))
        "I did not run it."])
    ("What is VALUE"
     . [((tool_calls . [((name . "read_file") (arguments . ((path . "loose.py"))))]))
        "VALUE is seven."]))
  "Turns by prompt keyword (tests/e2e/clients/model_script.py).")

(defvar cairn-scenario-client nil "How the spec's client does things (see the commentary).")
(defvar cairn-scenario-record nil "The file the scripted model records its requests in.")
(defvar cairn-scenario-root nil "The project the user works in.")
(defvar cairn-scenario-buffer nil "The project's mod.py.")
(defvar cairn-scenario-loose-buffer nil "A file outside any project.")
(defvar cairn-scenario-long-run nil "The slow run: (RUN-ID START-TIME TIMER).")
(defvar cairn-scenario-long-action nil
  "The slow code action's run id (Write tests, in the file outside any project).")
(defvar cairn-scenario-ticks 0 "How often a timer fired since the slow run started.")
(defvar cairn-scenario-seen-while-long nil
  "Answers shown while the slow run was still running (checked by `cairn.result').")

(defun cairn-scenario-setup (client)
  "The scripted model, Cairn's command and settings, a project, and CLIENT's functions."
  (setq cairn-scenario-client client)
  (setq cairn-scenario-record (cairn-test-use-scripted-model cairn-scenario-turns))
  (setq cairn-server-command (list (cairn-test-python) "-m" "cairn" "serve"))
  ;; trusted, so the agent may ask to run a command; a prompt left unanswered is a no after 1 s
  (setq cairn-settings '(:trusted t :approvalTimeout 1))
  (setq cairn-scenario-root (cairn-test-directory `(("mod.py" . ,cairn-scenario-source)))))

(defun cairn-scenario-call (key &rest args)
  "Call the client's function KEY with ARGS."
  (apply (plist-get cairn-scenario-client key) args))

(defun cairn-scenario-open (file)
  "Visit FILE in `python-mode' and return its buffer."
  (with-current-buffer (find-file-noselect file)
    (python-mode)
    (current-buffer)))

(defun cairn-scenario-run (run-id &optional buffer)
  "RUN-ID (nil: the latest run) as `cairn.result' reports it from the server of BUFFER
(default: mod.py's), asked without blocking; nil when the server has no such run."
  (let ((answer nil))
    (with-current-buffer (or buffer cairn-scenario-buffer)
      (cairn-execute "cairn.result" (and run-id (list :runId run-id))
                     (lambda (run) (setq answer (list run)))
                     (lambda (_error) (setq answer (list nil)))))
    (car (cairn-wait (lambda () answer) 30 "cairn.result"))))

(defun cairn-scenario-run-status (run-id &optional buffer)
  "The status of RUN-ID (nil: the latest run) in the server of BUFFER (default: mod.py's)."
  (cairn--get (cairn-scenario-run run-id buffer) "status"))

(defun cairn-scenario-chat (prompt)
  "Send PROMPT with M-x cairn-chat; the run id once the server says the run started."
  (let ((before (length (cairn-test-messages))))
    (cairn-chat prompt)
    (cairn-wait (lambda ()
                  (let ((new (substring (cairn-test-messages) before)))
                    (when (string-match "Cairn: chat started (run \\([0-9a-f]+\\))" new)
                      (match-string 1 new))))
                30 (format "the chat %S to start" prompt))))

(defun cairn-scenario-wait-shown (text)
  "Wait until TEXT is visible to the user; note whether the slow run was still going."
  (cairn-wait (lambda () (cairn-scenario-call :shown text)) 60 (format "%S to be shown" text))
  (when (and cairn-scenario-long-run
             (equal (cairn-scenario-run-status (car cairn-scenario-long-run)) "running"))
    (push text cairn-scenario-seen-while-long)))

(defun cairn-scenario-no-timeouts ()
  "Fail when the client reported a request timing out or a JSON-RPC error."
  (should-not (cairn-test-message-matching "[Tt]imed out\\|[Tt]imeout reached\\|jsonrpc-error")))

;;;; The steps, in the order the specs run them

(defun cairn-scenario-connects ()
  "The user opens mod.py and a file outside any project; Cairn starts for each."
  (setq cairn-scenario-buffer (cairn-scenario-open (expand-file-name "mod.py" cairn-scenario-root)))
  (should (cairn-scenario-call :connect cairn-scenario-buffer))
  (with-current-buffer cairn-scenario-buffer
    (should (or (cairn--eglot-server) (cairn--lsp-workspace))))
  ;; opened now so that its server starts (and imports the model library) alongside
  (let ((folder (cairn-test-directory '(("loose.py" . "VALUE = 7\n")))))
    (setq cairn-scenario-loose-buffer (cairn-scenario-open (expand-file-name "loose.py" folder))))
  (should (cairn-scenario-call :connect cairn-scenario-loose-buffer)))

(defun cairn-scenario-long-run-starts ()
  "A chat that will take longer than the client's request timeout returns at once."
  (with-current-buffer cairn-scenario-buffer
    (let ((started (float-time))
          (run (cairn-scenario-chat "Take your time")))
      (should (equal (cairn-scenario-run-status run) "running"))
      (setq cairn-scenario-ticks 0)
      (setq cairn-scenario-long-run
            (list run started (run-with-timer 0.5 0.5 (lambda () (cl-incf cairn-scenario-ticks)))))
      ;; the user goes on in a new session while the slow run finishes in the old one
      (cairn-new-session)
      (cairn-wait (lambda () (cairn-test-message-matching "Cairn: new session")) 30 "the new session")))
  ;; a code action as slow, in the other file: eglot sends a code action's command as a request
  ;; it waits for (the user cannot type meanwhile), so the server must answer it at once
  (with-current-buffer cairn-scenario-loose-buffer
    (cairn-scenario-call :code-action cairn-scenario-loose-buffer (point-min) (point-max)
                         "source.cairn.tests")
    (let ((run (cairn-wait (lambda () (let ((latest (cairn-scenario-run nil cairn-scenario-loose-buffer)))
                                        (and (string-match-p "tests" (or (cairn--get latest "title") ""))
                                             latest)))
                           30 "the Write tests run")))
      (should (equal (cairn--get run "status") "running"))
      (setq cairn-scenario-long-action (cairn--get run "runId")))
    ;; and goes on there in a new session too
    (let ((renewed nil))
      (cairn-execute "cairn.newSession" nil (lambda (_) (setq renewed t)))
      (cairn-wait (lambda () renewed) 30 "the new session there"))))

(defun cairn-scenario-chat-answer ()
  "M-x cairn-chat: the answer becomes visible."
  (with-current-buffer cairn-scenario-buffer
    (cairn-scenario-chat "Say hello")
    (cairn-scenario-wait-shown "Hello, world.")))

(defun cairn-scenario-explain-code-action ()
  "The Explain code action: its answer becomes visible."
  (cairn-scenario-call :code-action cairn-scenario-buffer
                       (with-current-buffer cairn-scenario-buffer (point-min))
                       (with-current-buffer cairn-scenario-buffer (point-max))
                       "refactor.cairn.explain")
  (cairn-scenario-wait-shown "It adds a to an undefined name c."))

(defun cairn-scenario-explain-command ()
  "M-x cairn-explain on a region: the same answer through cairn.el's asynchronous command."
  (let ((runs (length (cairn-test-messages))))
    (with-current-buffer cairn-scenario-buffer
      (cairn-explain (point-min) (point-max)))
    (cairn-wait (lambda () (string-match-p "Cairn: explanation started"
                                           (substring (cairn-test-messages) runs)))
                30 "the explanation to start")
    (cairn-wait (lambda () (string-match-p "explain finished" (substring (cairn-test-messages) runs)))
                60 "the explanation to finish")))

(defun cairn-scenario-docstring-edit ()
  "The Add docstring code action edits the buffer (not the file: saving is the user's)."
  (cairn-scenario-call :code-action cairn-scenario-buffer
                       (with-current-buffer cairn-scenario-buffer (point-min))
                       (with-current-buffer cairn-scenario-buffer (point-min))
                       "refactor.cairn.docstring")
  (with-current-buffer cairn-scenario-buffer
    (cairn-wait (lambda () (string-match-p "\"\"\"Add a and c.\"\"\"" (cairn-test-buffer-text cairn-scenario-buffer)))
                60 "the docstring in the buffer")
    (should (equal (cairn-test-buffer-text)
                   "def add(a, b):\n    \"\"\"Add a and c.\"\"\"\n    return a + c\n"))
    (should (buffer-modified-p))
    (let ((file buffer-file-name))
      (should (equal (with-temp-buffer (insert-file-contents file) (buffer-string)) cairn-scenario-source))
      (cairn-scenario-wait-shown "Added a docstring.")
      ;; the user saves: the file on disk has the docstring
      (with-current-buffer cairn-scenario-buffer (save-buffer))
      (should (equal (with-temp-buffer (insert-file-contents file) (buffer-string))
                     "def add(a, b):\n    \"\"\"Add a and c.\"\"\"\n    return a + c\n")))))

(defun cairn-scenario-dismissed-approval ()
  "The agent asks to run a command; the user dismisses the prompt: nothing runs, the agent
is told no, and the run finishes."
  (let ((asked nil))
    (cairn-test-with-answer
     'completing-read
     (lambda (prompt &rest _)
       (setq asked prompt)
       (funcall (plist-get cairn-scenario-client :dismiss)))
     (lambda ()
       (with-current-buffer cairn-scenario-buffer
         (cairn-scenario-chat "Clean the build"))
       (cairn-scenario-wait-shown "I did not run it.")))
    (should (string-match-p "Cairn wants to run `touch cleaned.txt`" asked))
    (should-not (file-exists-p (expand-file-name "cleaned.txt" cairn-scenario-root)))
    (should (seq-find (lambda (result) (string-match-p "declined" result))
                      (cairn-test-tool-results cairn-scenario-record)))))

(defun cairn-scenario-file-outside-any-project ()
  "A file opened outside any project: the agent works there and can read files."
  (with-current-buffer cairn-scenario-loose-buffer
    (cairn-scenario-chat "What is VALUE?"))
  (cairn-scenario-wait-shown "VALUE is seven.")
  (should (seq-find (lambda (result) (string-match-p "VALUE = 7" result))
                    (cairn-test-tool-results cairn-scenario-record))))

(defun cairn-scenario-long-run-ends ()
  "The slow answer arrives after the client's request timeout, with no timeout error, while
the user's other requests were answered and timers kept firing."
  (pcase-let ((`(,run ,started ,timer) cairn-scenario-long-run))
    (unwind-protect
        (progn
          (cairn-wait (lambda () (cairn-scenario-call :shown "Slow and steady.")) 60 "the slow answer")
          (cairn-wait (lambda () (cairn-scenario-call :shown "Tests take time.")) 60 "the slow action's answer")
          (should (> (- (float-time) started) (plist-get cairn-scenario-client :request-timeout)))
          (should (equal (cairn-scenario-run-status run) "done"))
          (should (equal (cairn-scenario-run-status cairn-scenario-long-action cairn-scenario-loose-buffer)
                         "done"))
          (should (member "Hello, world." cairn-scenario-seen-while-long))
          (should (> cairn-scenario-ticks 0))
          (cairn-scenario-no-timeouts))
      (cancel-timer timer)
      (setq cairn-scenario-long-run nil))))

(defun cairn-scenario-shutdown ()
  "The user shuts the Cairn servers down: each answers `shutdown' in time and ends as
cleanly as its client lets it."
  (let ((processes (cairn-scenario-call :shutdown)))
    (should (= 2 (length processes)))
    (dolist (process processes)
      (ert-info ((format "%s: %S" (process-name process) (process-get process 'cairn-test-ended))
                 :prefix "ended: ")
        (should (cairn-scenario-call :ended-cleanly process))
        (should-not (process-live-p process))))
    (cairn-scenario-no-timeouts)))

(defmacro cairn-scenario-define-tests (prefix &rest extra-steps)
  "Define the scenario's steps as tests named PREFIX-STEP, in order.
EXTRA-STEPS, functions of the spec's own, run after the common steps and before the slow run
is checked and the servers shut down."
  (let ((steps (append (mapcar (lambda (step) (cons step (intern (format "cairn-scenario-%s" step))))
                               '(connects long-run-starts chat-answer explain-code-action
                                          explain-command docstring-edit dismissed-approval
                                          file-outside-any-project))
                       (mapcar (lambda (function)
                                 (cons (replace-regexp-in-string "\\`cairn-[a-z]+-spec-" ""
                                                                 (symbol-name function))
                                       function))
                               extra-steps)
                       '((long-run-ends . cairn-scenario-long-run-ends)
                         (shutdown . cairn-scenario-shutdown)))))
    `(progn
       ,@(mapcar (lambda (step)
                   `(cairn-deftest ,(intern (format "%s-%s" prefix (car step)))
                        ,(documentation (cdr step))
                      (,(cdr step))))
                 steps))))

(provide 'scenario)
;;; scenario.el ends here
